/* uuid.c - UUIDv7 from the clock and getrandom(2). */
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "uuid.h"

int uuid_v7(char out[static UUID_STR_LEN])
{
    unsigned char b[16];
    struct timespec ts;
    uint64_t ms;

    out[0] = 0;
    if (getrandom(b + 6, 10, 0) != 10)
        return -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));   /* version 7 */
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));   /* variant 10 */
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return 0;
}
