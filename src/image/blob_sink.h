// BlobSink: one pass over a layer's tar stream. The bytes are hashed as they come (the layer's
// diff_id), compressed, and the compressed bytes hashed (its digest) and written out, so the
// tar never exists whole, in memory or on disk.
//
// gzip: every 1 MiB of tar is one gzip member (RFC 1952 2.2: a gzip file is a series of
// members, and every gzip reader, Go's included, reads them all), compressed by libdeflate on
// threads of its own, a few chunks ahead, and written in order. The chunks depend only on the
// tar's bytes, so the blob is the same whatever the number of threads. zstd: libzstd's own
// workers, whose output is the same for any number of them.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ocitools {

enum class Compression { Gzip, Zstd, None };

struct GzipMember;  // blob_sink.cpp

// "gzip", "zstd" or "none"; throws SpecError naming `what` (the flag) otherwise.
Compression parse_compression(std::string_view value, std::string_view what);
// The level `level` asks of `compression` (gzip 1 to 12, zstd 1 to 19), or its default when
// unset (gzip 6, zstd 3; none: 0). A level out of range, or any for none, is a SpecError naming
// `what` (the flag).
int compression_level(Compression compression, std::optional<int> level, std::string_view what);
// The layer media type of image-spec's media-types.md for `compression`.
const char* layer_media_type(Compression compression);

// SHA-256 (OpenSSL's EVP) of a stream.
class Sha256 {
  public:
    Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view data);
    // "sha256:<64 hex digits>"; the hash cannot be updated after.
    std::string digest();
    // The digest of `data` at once.
    static std::string of(std::string_view data);

  private:
    struct Free {
        void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

class BlobSink {
  public:
    // Compressed bytes go to `fd` (borrowed), named `shown` in errors; `threads` compress at
    // once (at least 1), at `level` (compression_level's default when unset).
    BlobSink(int fd, Compression compression, std::filesystem::path shown, unsigned threads = 1,
             std::optional<int> level = std::nullopt);
    ~BlobSink();
    BlobSink(const BlobSink&) = delete;
    BlobSink& operator=(const BlobSink&) = delete;

    void write(std::string_view data);
    // Flush the compressor; then diff_id(), digest() and size() are known.
    void finish();

    const std::string& diff_id() const { return diff_id_; }
    const std::string& digest() const { return digest_; }
    std::uint64_t size() const { return size_; }

  private:
    void emit(std::string_view compressed);
    void gzip_data(std::string_view data);
    void gzip_launch();         // compress the chunk filled so far
    void gzip_collect_oldest();  // wait for the oldest chunk in flight and write it
    void zstd_chunk(std::string_view data, bool last);

    const int fd_;
    const Compression compression_;
    const int level_;
    const std::filesystem::path shown_;
    Sha256 tar_hash_, blob_hash_;
    const unsigned threads_;
    std::string out_;    // compressed bytes not yet written
    std::unique_ptr<std::string> chunk_;  // gzip: tar bytes of the chunk being filled
    std::deque<std::future<std::unique_ptr<GzipMember>>> in_flight_;  // gzip: in order
    struct Zstd;
    std::unique_ptr<Zstd> zstd_;
    std::string diff_id_, digest_;
    std::uint64_t size_ = 0;
    bool finished_ = false;
};

}  // namespace ocitools
