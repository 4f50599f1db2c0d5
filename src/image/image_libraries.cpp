// The C libraries of build-image alone, opened when it first calls them (base/shared_library.h):
// libarchive (tar), libzstd, libdeflate (gzip) and OpenSSL's libcrypto (SHA-256). Every function
// src/image calls is forwarded here; one missing is an undefined reference at link time.
// OCITOOLS_LIB{ARCHIVE,ZSTD,DEFLATE,CRYPTO}_{PATH,SONAME} come from src/CMakeLists.txt.
#include <archive.h>
#include <archive_entry.h>
#include <libdeflate.h>
#include <openssl/evp.h>
#include <zstd.h>

#include "base/shared_library.h"

namespace {
constexpr const char* kNeededBy = "build-image";
constinit ocitools::SharedLibrary libarchive(OCITOOLS_LIBARCHIVE_PATH,
                                                   OCITOOLS_LIBARCHIVE_SONAME, kNeededBy);
constinit ocitools::SharedLibrary libzstd(OCITOOLS_LIBZSTD_PATH, OCITOOLS_LIBZSTD_SONAME,
                                                kNeededBy);
constinit ocitools::SharedLibrary libdeflate(OCITOOLS_LIBDEFLATE_PATH,
                                                   OCITOOLS_LIBDEFLATE_SONAME, kNeededBy);
constinit ocitools::SharedLibrary libcrypto(OCITOOLS_LIBCRYPTO_PATH,
                                                  OCITOOLS_LIBCRYPTO_SONAME, kNeededBy);
}  // namespace

// libarchive: archive.h
OCITOOLS_FORWARD(libarchive, struct archive*, archive_write_new, (void), ())
OCITOOLS_FORWARD(libarchive, int, archive_write_set_format_pax_restricted, (struct archive* a), (a))
OCITOOLS_FORWARD(libarchive, int, archive_write_set_bytes_in_last_block,
                 (struct archive* a, int bytes), (a, bytes))
OCITOOLS_FORWARD(libarchive, int, archive_write_open_fd, (struct archive* a, int fd), (a, fd))
OCITOOLS_FORWARD(libarchive, int, archive_write_open,
                 (struct archive* a, void* data, archive_open_callback* open,
                  archive_write_callback* write, archive_close_callback* close),
                 (a, data, open, write, close))
OCITOOLS_FORWARD(libarchive, int, archive_write_header,
                 (struct archive* a, struct archive_entry* entry), (a, entry))
OCITOOLS_FORWARD(libarchive, la_ssize_t, archive_write_data,
                 (struct archive* a, const void* buffer, size_t size), (a, buffer, size))
OCITOOLS_FORWARD(libarchive, int, archive_write_close, (struct archive* a), (a))
OCITOOLS_FORWARD(libarchive, int, archive_write_free, (struct archive* a), (a))
OCITOOLS_FORWARD(libarchive, int, archive_errno, (struct archive* a), (a))
OCITOOLS_FORWARD(libarchive, const char*, archive_error_string, (struct archive* a), (a))
// libarchive: archive_entry.h
OCITOOLS_FORWARD(libarchive, struct archive_entry*, archive_entry_new, (void), ())
OCITOOLS_FORWARD(libarchive, void, archive_entry_free, (struct archive_entry* e), (e))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_pathname,
                 (struct archive_entry* e, const char* name), (e, name))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_filetype,
                 (struct archive_entry* e, unsigned int type), (e, type))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_perm,
                 (struct archive_entry* e, __LA_MODE_T perm), (e, perm))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_uid, (struct archive_entry* e, la_int64_t id),
                 (e, id))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_gid, (struct archive_entry* e, la_int64_t id),
                 (e, id))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_size,
                 (struct archive_entry* e, la_int64_t size), (e, size))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_mtime,
                 (struct archive_entry* e, time_t seconds, long nanoseconds),
                 (e, seconds, nanoseconds))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_symlink,
                 (struct archive_entry* e, const char* target), (e, target))
OCITOOLS_FORWARD(libarchive, void, archive_entry_set_hardlink,
                 (struct archive_entry* e, const char* target), (e, target))

// libzstd
OCITOOLS_FORWARD(libzstd, ZSTD_CCtx*, ZSTD_createCCtx, (void), ())
OCITOOLS_FORWARD(libzstd, size_t, ZSTD_freeCCtx, (ZSTD_CCtx* c), (c))
OCITOOLS_FORWARD(libzstd, size_t, ZSTD_CCtx_setParameter,
                 (ZSTD_CCtx* c, ZSTD_cParameter param, int value), (c, param, value))
OCITOOLS_FORWARD(libzstd, size_t, ZSTD_compressStream2,
                 (ZSTD_CCtx* c, ZSTD_outBuffer* out, ZSTD_inBuffer* in, ZSTD_EndDirective end),
                 (c, out, in, end))
OCITOOLS_FORWARD(libzstd, unsigned, ZSTD_isError, (size_t code), (code))
OCITOOLS_FORWARD(libzstd, const char*, ZSTD_getErrorName, (size_t code), (code))

// libdeflate
OCITOOLS_FORWARD(libdeflate, struct libdeflate_compressor* LIBDEFLATEAPI,
                 libdeflate_alloc_compressor, (int level), (level))
OCITOOLS_FORWARD(libdeflate, void LIBDEFLATEAPI, libdeflate_free_compressor,
                 (struct libdeflate_compressor* c), (c))
OCITOOLS_FORWARD(libdeflate, size_t LIBDEFLATEAPI, libdeflate_gzip_compress,
                 (struct libdeflate_compressor* c, const void* in, size_t in_size, void* out,
                  size_t out_size),
                 (c, in, in_size, out, out_size))
OCITOOLS_FORWARD(libdeflate, size_t LIBDEFLATEAPI, libdeflate_gzip_compress_bound,
                 (struct libdeflate_compressor* c, size_t in_size), (c, in_size))

// libcrypto
OCITOOLS_FORWARD(libcrypto, const EVP_MD*, EVP_sha256, (void), ())
OCITOOLS_FORWARD(libcrypto, EVP_MD_CTX*, EVP_MD_CTX_new, (void), ())
OCITOOLS_FORWARD(libcrypto, void, EVP_MD_CTX_free, (EVP_MD_CTX* c), (c))
OCITOOLS_FORWARD(libcrypto, int, EVP_DigestInit_ex, (EVP_MD_CTX* c, const EVP_MD* type, ENGINE* e),
                 (c, type, e))
OCITOOLS_FORWARD(libcrypto, int, EVP_DigestUpdate, (EVP_MD_CTX* c, const void* d, size_t n),
                 (c, d, n))
OCITOOLS_FORWARD(libcrypto, int, EVP_DigestFinal_ex, (EVP_MD_CTX* c, unsigned char* md, unsigned int* s),
                 (c, md, s))
