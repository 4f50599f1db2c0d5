#include "image/blob_sink.h"

#include <zlib.h>
#include <zstd.h>

#include <array>
#include <stdexcept>

#include "base/error.h"
#include "fs/write_all.h"

namespace ocitools {

namespace {

constexpr size_t kOutChunk = 256 << 10;  // compressed bytes written at a time
constexpr size_t kBuffer = 64 << 10;     // compressor output per call

}  // namespace

Compression parse_compression(std::string_view value, std::string_view what) {
    if (value == "gzip") return Compression::Gzip;
    if (value == "zstd") return Compression::Zstd;
    if (value == "none") return Compression::None;
    throw SpecError(std::string(what) + ": " + quote(std::string(value)) +
                    " is not a compression (gzip, zstd or none)");
}

const char* layer_media_type(Compression compression) {
    switch (compression) {
        case Compression::Gzip:
            return "application/vnd.oci.image.layer.v1.tar+gzip";
        case Compression::Zstd:
            return "application/vnd.oci.image.layer.v1.tar+zstd";
        case Compression::None:
            break;
    }
    return "application/vnd.oci.image.layer.v1.tar";
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("OpenSSL: cannot start a SHA-256 hash");
}

void Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1)
        throw std::runtime_error("OpenSSL: SHA-256 update failed");
}

std::string Sha256::digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), md.data(), &length) != 1)
        throw std::runtime_error("OpenSSL: SHA-256 final failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < length; ++i) {
        out += kHex[md[i] >> 4];
        out += kHex[md[i] & 15];
    }
    return out;
}

std::string Sha256::of(std::string_view data) {
    Sha256 hash;
    hash.update(data);
    return hash.digest();
}

// RFC 1952 gzip through zlib: its own header has no name and a zero time (no deflateSetHeader),
// so equal tars give equal blobs.
struct BlobSink::Gzip {
    z_stream z{};
    Gzip() {
        // Level 6 (gzip's default); windowBits 15 + 16: a gzip wrapper instead of zlib's.
        if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("zlib: cannot start a gzip stream");
    }
    ~Gzip() { deflateEnd(&z); }
};

struct BlobSink::Zstd {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    Zstd() {
        if (!ctx) throw std::runtime_error("zstd: cannot start a stream");
        // Level 3 (zstd's default); the content size is not known at the start.
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
    }
    ~Zstd() { ZSTD_freeCCtx(ctx); }
};

BlobSink::BlobSink(int fd, Compression compression, std::filesystem::path shown)
    : fd_(fd), compression_(compression), shown_(std::move(shown)) {
    if (compression_ == Compression::Gzip) gzip_ = std::make_unique<Gzip>();
    if (compression_ == Compression::Zstd) zstd_ = std::make_unique<Zstd>();
    out_.reserve(kOutChunk * 2);
}

BlobSink::~BlobSink() = default;

void BlobSink::emit(std::string_view compressed) {
    if (compressed.empty()) return;
    blob_hash_.update(compressed);
    size_ += compressed.size();
    out_.append(compressed);
    if (out_.size() >= kOutChunk) {
        write_all(fd_, out_, shown_);
        out_.clear();
    }
}

void BlobSink::deflate_chunk(std::string_view data, bool last) {
    z_stream& z = gzip_->z;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    std::array<char, kBuffer> buffer;
    int rc;
    do {
        z.next_out = reinterpret_cast<Bytef*>(buffer.data());
        z.avail_out = static_cast<uInt>(buffer.size());
        rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) throw std::runtime_error("zlib: deflate failed");
        emit({buffer.data(), buffer.size() - z.avail_out});
    } while (z.avail_out == 0 || (last && rc != Z_STREAM_END));
}

void BlobSink::zstd_chunk(std::string_view data, bool last) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    std::array<char, kBuffer> buffer;
    for (;;) {
        ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
        const size_t left =
            ZSTD_compressStream2(zstd_->ctx, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left))
            throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(left));
        emit({buffer.data(), out.pos});
        if (last ? left == 0 : in.pos == in.size) break;
    }
}

void BlobSink::write(std::string_view data) {
    tar_hash_.update(data);
    // zlib takes at most 4 GiB at a time (uInt).
    constexpr size_t kMaxIn = 1u << 30;
    while (!data.empty()) {
        const std::string_view chunk = data.substr(0, kMaxIn);
        data.remove_prefix(chunk.size());
        switch (compression_) {
            case Compression::Gzip:
                deflate_chunk(chunk, false);
                break;
            case Compression::Zstd:
                zstd_chunk(chunk, false);
                break;
            case Compression::None:
                emit(chunk);
                break;
        }
    }
}

void BlobSink::finish() {
    if (finished_) return;
    finished_ = true;
    if (compression_ == Compression::Gzip) deflate_chunk({}, true);
    if (compression_ == Compression::Zstd) zstd_chunk({}, true);
    write_all(fd_, out_, shown_);
    out_.clear();
    diff_id_ = tar_hash_.digest();
    digest_ = blob_hash_.digest();
}

}  // namespace ocitools
