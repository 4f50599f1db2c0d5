// The writer beside LdCache's parser: an /etc/ld.so.cache that glibc's ld.so and `ldconfig -p`
// read, for a rootfs that holds only some of the host's libraries (bundle/ld_cache_file.h).
// Only the new format ("glibc-ld.so.cache1.1", what ldconfig writes by default since glibc 2.32),
// in this machine's byte order, with an extension directory: the generator string and, when an
// entry has one, the glibc-hwcaps subdirectory names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "closure/elf/ldcache.h"

namespace ocitools {

// _dl_cache_libcmp (glibc elf/dl-cache.c): strcmp, except that runs of digits compare as numbers
// and sort after every other byte ("libfoo.so.10" after "libfoo.so.9"). Negative, 0, positive.
// Digit runs compare by value however long they are (ld.so's int would overflow past 2^31, which
// no soname reaches).
int ld_cache_name_compare(std::string_view a, std::string_view b);

// Order `entries` as ldconfig orders a cache (elf/cache.c, compare), which is the order ld.so's
// binary search (search_cache) expects: sonames in descending ld_cache_name_compare order; for
// one soname, higher flags first, then glibc-hwcaps entries (by subdirectory name) before the
// others, then the most specific legacy hwcap, then the highest osversion. Equal entries keep
// their order (ldconfig's insertion keeps its directories' order), so the entries of a parsed
// cache, or any subset of them, keep the order they had.
void sort_like_ldconfig(std::vector<LdCacheEntry>& entries);

// The cache file holding `entries` (sorted by sort_like_ldconfig) and the generator string that
// `ldconfig -p` prints. An entry's hwcap field is written as read, except for glibc-hwcaps
// entries, whose field is made anew: the extension bit, `isa_level`, and the index of
// `hwcaps_subdir` among this cache's own subdirectory names, which are sorted (ld.so merges them
// with its sorted list of the CPU's). The same entries always give the same bytes. Throws
// FormatError when an entry cannot be written: a NUL in a string, an ISA level over 1023, a hwcap
// field that would read as a glibc-hwcaps one without a subdirectory, a file over 4 GiB.
std::string serialize_ld_cache(std::vector<LdCacheEntry> entries, std::string_view generator);

}  // namespace ocitools
