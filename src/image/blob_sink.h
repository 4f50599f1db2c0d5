// BlobSink: one pass over a layer's tar stream. The bytes are hashed as they come (the layer's
// diff_id), compressed, and the compressed bytes hashed (its digest) and written out, so the
// tar never exists whole, in memory or on disk.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace ocitools {

enum class Compression { Gzip, Zstd, None };

// "gzip", "zstd" or "none"; throws SpecError naming `what` (the flag) otherwise.
Compression parse_compression(std::string_view value, std::string_view what);
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
    // Compressed bytes go to `fd` (borrowed), named `shown` in errors.
    BlobSink(int fd, Compression compression, std::filesystem::path shown);
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
    void deflate_chunk(std::string_view data, bool last);
    void zstd_chunk(std::string_view data, bool last);

    const int fd_;
    const Compression compression_;
    const std::filesystem::path shown_;
    Sha256 tar_hash_, blob_hash_;
    std::string out_;  // compressed bytes not yet written
    struct Gzip;
    struct Zstd;
    std::unique_ptr<Gzip> gzip_;
    std::unique_ptr<Zstd> zstd_;
    std::string diff_id_, digest_;
    std::uint64_t size_ = 0;
    bool finished_ = false;
};

}  // namespace ocitools
