#include "image/blob_sink.h"

#include <libdeflate.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>
#include <stdexcept>

#include "base/enum_names.h"
#include "base/error.h"
#include "fs/write_all.h"

namespace ocitools {

namespace {

constexpr size_t kOutChunk = 256 << 10;  // compressed bytes written at a time
constexpr size_t kBuffer = 64 << 10;     // compressor output per call
constexpr size_t kGzipChunk = 1 << 20;   // tar bytes per gzip member

constexpr EnumName<Compression> kCompressions[] = {
    {Compression::Gzip, "gzip"}, {Compression::Zstd, "zstd"}, {Compression::None, "none"}};

}  // namespace

Compression parse_compression(std::string_view value, std::string_view what) {
    return parse_named(kCompressions, value, what, "compression");
}

int compression_level(Compression compression, std::optional<int> level, std::string_view what) {
    const auto [lowest, highest, standard] = [&]() -> std::array<int, 3> {
        switch (compression) {
            case Compression::Gzip:
                return {1, 12, 6};  // libdeflate's levels; 10 to 12 search hardest
            case Compression::Zstd:
                return {1, 19, 3};  // zstd(1)'s without --ultra
            case Compression::None:
                break;
        }
        return {0, 0, 0};
    }();
    if (!level) return standard;
    if (compression == Compression::None)
        throw SpecError(std::string(what) + ": there is no level for --compression none");
    if (*level < lowest || *level > highest)
        throw SpecError(std::string(what) + ": " + std::to_string(*level) + " is not a level of " +
                        std::string(name_of(kCompressions, compression)) + " (expected " +
                        std::to_string(lowest) + " to " + std::to_string(highest) + ")");
    return *level;
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

struct BlobSink::Zstd {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    explicit Zstd(int level) {
        if (!ctx) throw std::runtime_error("zstd: cannot start a stream");
        // The content size is not known at the start.
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level);
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 1);
    }
    void workers(unsigned threads) {
        // At least one: libzstd's output with workers differs from its output without, and is
        // the same for any number of them.
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_nbWorkers, static_cast<int>(std::max(1u, threads)));
    }
    ~Zstd() { ZSTD_freeCCtx(ctx); }
};

BlobSink::BlobSink(int fd, Compression compression, std::filesystem::path shown, unsigned threads,
                   std::optional<int> level)
    : fd_(fd),
      compression_(compression),
      level_(compression_level(compression, level, "compression level")),
      shown_(std::move(shown)),
      threads_(std::max(1u, threads)) {
    if (compression_ == Compression::Zstd) {
        zstd_ = std::make_unique<Zstd>(level_);
        zstd_->workers(threads_);
    }
    out_.reserve(kOutChunk * 2);
}

// Chunks still in flight (after an error) are waited for: their threads use nothing of this.
BlobSink::~BlobSink() {
    for (auto& member : in_flight_)
        if (member.valid()) member.wait();
}

void BlobSink::emit(std::string_view compressed) {
    if (compressed.empty()) return;
    blob_hash_.update(compressed);
    size_ += compressed.size();
    if (out_.empty() && compressed.size() >= kOutChunk) return write_all(fd_, compressed, shown_);
    out_.append(compressed);
    if (out_.size() >= kOutChunk) {
        write_all(fd_, out_, shown_);
        out_.clear();
    }
}

// A libdeflate compressor at one level with room for one member, and the
// member last written there. Kept in a pool for the next chunk: making one costs more than
// compressing a small chunk (its tables, zeroed), and fresh buffers cost a page fault per 4 KiB.
struct GzipMember {
    libdeflate_compressor* compressor = nullptr;
    std::unique_ptr<char[]> out;  // libdeflate_gzip_compress_bound of a whole chunk
    size_t capacity = 0;
    size_t size = 0;  // of the last member
    int level = 0;
    ~GzipMember() { libdeflate_free_compressor(compressor); }
};

namespace {

// Things worth keeping between layers: compressors with their output, and chunk buffers.
template <typename T>
class Pool {
  public:
    std::unique_ptr<T> take() {
        std::lock_guard lock(mutex_);
        if (free_.empty()) return nullptr;
        auto item = std::move(free_.back());
        free_.pop_back();
        return item;
    }
    void give_back(std::unique_ptr<T> item) {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(item));
    }

  private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<T>> free_;
};

Pool<GzipMember>& compressors(int level) {
    static std::array<Pool<GzipMember>, 13> pools;  // by level
    return pools.at(static_cast<size_t>(level));
}

Pool<std::string>& chunks() {
    static Pool<std::string> pool;
    return pool;
}

std::unique_ptr<GzipMember> new_compressor(int level) {
    auto c = std::make_unique<GzipMember>();
    c->level = level;
    c->compressor = libdeflate_alloc_compressor(level);
    if (!c->compressor) throw std::runtime_error("libdeflate: out of memory");
    c->capacity = libdeflate_gzip_compress_bound(c->compressor, kGzipChunk);
    c->out.reset(new char[c->capacity]);
    return c;
}

std::unique_ptr<std::string> new_chunk() {
    auto chunk = chunks().take();
    if (!chunk) chunk = std::make_unique<std::string>();
    chunk->clear();
    chunk->reserve(kGzipChunk);
    return chunk;
}

// One gzip member of `data` (at most kGzipChunk bytes), whose buffer goes back to the pool.
// libdeflate writes no name and a zero time.
std::unique_ptr<GzipMember> gzip_member(std::unique_ptr<std::string> data, int level) {
    auto c = compressors(level).take();
    if (!c) c = new_compressor(level);
    c->size = libdeflate_gzip_compress(c->compressor, data->data(), data->size(), c->out.get(),
                                       c->capacity);
    chunks().give_back(std::move(data));
    if (c->size == 0) throw std::runtime_error("libdeflate: gzip compression failed");
    return c;
}

}  // namespace

void BlobSink::gzip_data(std::string_view data) {
    while (!data.empty()) {
        if (!chunk_) chunk_ = new_chunk();
        const size_t take = std::min(data.size(), kGzipChunk - chunk_->size());
        chunk_->append(data.substr(0, take));
        data.remove_prefix(take);
        if (chunk_->size() == kGzipChunk) gzip_launch();
    }
}

void BlobSink::gzip_launch() {
    if (in_flight_.size() >= threads_) gzip_collect_oldest();
    auto chunk = chunk_ ? std::move(chunk_) : new_chunk();
    if (threads_ == 1) {
        std::promise<std::unique_ptr<GzipMember>> done;
        done.set_value(gzip_member(std::move(chunk), level_));
        in_flight_.push_back(done.get_future());
        return;
    }
    in_flight_.push_back(
        std::async(std::launch::async, [chunk = std::move(chunk), level = level_]() mutable {
            return gzip_member(std::move(chunk), level);
        }));
}

void BlobSink::gzip_collect_oldest() {
    std::unique_ptr<GzipMember> member = in_flight_.front().get();
    in_flight_.pop_front();
    emit({member->out.get(), member->size});
    compressors(member->level).give_back(std::move(member));
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
    switch (compression_) {
        case Compression::Gzip:
            return gzip_data(data);
        case Compression::Zstd:
            return zstd_chunk(data, false);
        case Compression::None:
            return emit(data);
    }
}

void BlobSink::finish() {
    if (finished_) return;
    finished_ = true;
    if (compression_ == Compression::Gzip) {
        if ((chunk_ && !chunk_->empty()) || size_ == 0) gzip_launch();
        while (!in_flight_.empty()) gzip_collect_oldest();
    }
    if (compression_ == Compression::Zstd) zstd_chunk({}, true);
    write_all(fd_, out_, shown_);
    out_.clear();
    diff_id_ = tar_hash_.digest();
    digest_ = blob_hash_.digest();
}

}  // namespace ocitools
