/* uuid.h - UUIDv7 message and task ids (RFC 9562): 48 bits of Unix
 * milliseconds, then random bits, so ids sort by creation time. */
#ifndef BANGDAI_UUID_H
#define BANGDAI_UUID_H

#define UUID_STR_LEN 37         /* 36 characters and the NUL */

/* Writes a new UUIDv7 in text form into out. Returns 0, or -1 when the
 * system's random source failed (out then holds an empty string). */
__attribute__((warn_unused_result))
int uuid_v7(char out[static UUID_STR_LEN]);

#endif
