/* strtab.h — an interning table of short strings (ids read from CSV).
 *
 * Each distinct string gets a dense uint32 index in order of first
 * appearance; strtab_get returns the stored NUL-terminated copy. Storage is one
 * growing character pool plus one offset array and an open-addressing hash
 * index, so interning never allocates per string. Not thread-safe. */
#ifndef HETPREF_STRTAB_H
#define HETPREF_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct strtab strtab;

/* A new empty table, or NULL when out of memory. Free with strtab_free. */
strtab *strtab_alloc(void);
void strtab_free(strtab *t); /* NULL is a no-op */

/* Index of s[0..len) (which need not be NUL-terminated), adding it when new.
 * Returns PREF_OK and sets *idx, or PREF_ENOMEM. */
int strtab_intern(strtab *t, const char *s, size_t len, uint32_t *idx);

/* Index of s when present, else UINT32_MAX. */
uint32_t strtab_find(const strtab *t, const char *s, size_t len);

/* The string with index i (i < strtab_size). The pointer is owned by the
 * table and valid until the next strtab_intern or strtab_free. */
const char *strtab_get(const strtab *t, uint32_t i);
size_t strtab_size(const strtab *t);

/* Bytes held (pool + offsets + hash index), for memory accounting. */
size_t strtab_bytes(const strtab *t);

#endif
