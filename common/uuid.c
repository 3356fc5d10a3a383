/* uuid.c - UUIDv7 from the clock and getrandom(2). */
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "uuid.h"

/* Ids made one after the other in a thread sort in that order (RFC 9562,
 * 6.2, method 1): within one millisecond the 12 bits after the version
 * count up from a random start below 2048; when they run out, the
 * timestamp moves on a millisecond ahead of the clock. A spool listed by
 * file name (the message id) is then in the order the messages were made. */
static _Thread_local uint64_t last_ms;
static _Thread_local unsigned last_counter;

int uuid_v7(char out[static UUID_STR_LEN])
{
    unsigned char b[16];
    struct timespec ts;
    uint64_t ms;
    unsigned counter;

    out[0] = 0;
    if (getrandom(b + 6, 10, 0) != 10)
        return -1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (ms <= last_ms && last_counter < 0xfff) {
        ms = last_ms;
        counter = last_counter + 1;
    } else {
        if (ms <= last_ms)
            ms = last_ms + 1;
        counter = ((unsigned)b[6] << 8 | b[7]) & 0x7ff;
    }
    last_ms = ms;
    last_counter = counter;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (counter >> 8));  /* version 7, then the counter's top 4 bits */
    b[7] = (unsigned char)(counter & 0xff);
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));   /* variant 10 */
    snprintf(out, UUID_STR_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return 0;
}
