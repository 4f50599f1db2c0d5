#include "image/blob_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

using namespace ocitools::testing;

// Bytes that do not compress.
std::string noise(size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out;
    for (size_t i = 0; i < size; ++i) out += static_cast<char>(rng() & 0xff);
    return out;
}

// Some megabytes that compress somewhat: random bytes (more than one of BlobSink's 256 KiB
// output chunks even compressed) and runs of text.
std::string sample(size_t random_bytes = 1 << 20) {
    std::string out = noise(random_bytes, 42);
    for (int i = 0; i < 20000; ++i) out += "line " + std::to_string(i) + " of a tar stream\n";
    return out;
}

struct Blob {
    std::string bytes;
    std::string diff_id, digest;
    std::uint64_t size = 0;
};

// `input` through a BlobSink into a file, in pieces of `piece` bytes (tar's 10240 by default).
Blob sink(const std::string& input, Compression compression, size_t piece = 10240,
          std::optional<int> level = std::nullopt) {
    ScratchDir dir;
    const auto path = dir / "blob";
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) std::abort();
    Blob out;
    {
        BlobSink s(fd, compression, path, 1, level);
        for (size_t at = 0; at < input.size(); at += piece)
            s.write(std::string_view(input).substr(at, piece));
        s.finish();
        s.finish();  // a second finish is harmless
        out.diff_id = s.diff_id();
        out.digest = s.digest();
        out.size = s.size();
    }
    close(fd);
    out.bytes = read_text(path);
    return out;
}

// A gzip file is a series of members (RFC 1952 2.2), each with its own header: all of them
// decompressed with zlib, and where each member starts in `members`.
std::string gunzip(const std::string& blob, std::vector<size_t>* members = nullptr) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) std::abort();  // gzip only
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(blob.data()));
    z.avail_in = static_cast<uInt>(blob.size());
    std::string out;
    char buffer[1 << 16];
    int rc = Z_OK;
    while (z.avail_in > 0) {
        if (members) members->push_back(blob.size() - z.avail_in);
        do {
            z.next_out = reinterpret_cast<Bytef*>(buffer);
            z.avail_out = sizeof buffer;
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END) break;
            out.append(buffer, sizeof buffer - z.avail_out);
        } while (rc != Z_STREAM_END);
        if (rc != Z_STREAM_END) break;
        inflateReset(&z);
    }
    EXPECT_EQ(rc, Z_STREAM_END) << "gzip stream not whole: " << (z.msg ? z.msg : "truncated");
    inflateEnd(&z);
    return out;
}

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(Sha256::of(""),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Sha256::of("abc"),
              "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 pieces;  // the same in pieces
    pieces.update("a");
    pieces.update("");
    pieces.update("bc");
    EXPECT_EQ(pieces.digest(), Sha256::of("abc"));
}

TEST(BlobSink, GzipDecompressesToTheInputWithBothDigests) {
    const std::string input = sample();
    const Blob blob = sink(input, Compression::Gzip);
    EXPECT_LT(blob.bytes.size(), input.size());
    EXPECT_EQ(blob.size, blob.bytes.size());
    EXPECT_EQ(blob.diff_id, Sha256::of(input));
    EXPECT_EQ(blob.digest, Sha256::of(blob.bytes));
    const std::string back = gunzip(blob.bytes);
    EXPECT_EQ(back.size(), input.size());
    EXPECT_TRUE(back == input);
}

// RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS. No name, no time, in every member's header: the
// bytes depend only on the input.
TEST(BlobSink, GzipHeaderHasNoTimeNorName) {
    for (const std::string& input : {sample(1000), sample(3 << 20)}) {
        const Blob blob = sink(input, Compression::Gzip);
        std::vector<size_t> members;
        EXPECT_TRUE(gunzip(blob.bytes, &members) == input);
        ASSERT_FALSE(members.empty());
        for (const size_t at : members) {
            ASSERT_GE(blob.bytes.size(), at + 10);
            const std::string header = blob.bytes.substr(at, 10);
            EXPECT_EQ(static_cast<unsigned char>(header[0]), 0x1f) << "member at " << at;
            EXPECT_EQ(static_cast<unsigned char>(header[1]), 0x8b) << "member at " << at;
            EXPECT_EQ(header[2], 8) << "member at " << at;  // deflate
            EXPECT_EQ(header[3] & 0x08, 0) << "FNAME set in the member at " << at;
            EXPECT_EQ(header[3] & 0x10, 0) << "FCOMMENT set in the member at " << at;
            EXPECT_EQ(header.substr(4, 4), std::string(4, '\0')) << "MTIME in the member at " << at;
        }
        const Blob again = sink(input, Compression::Gzip);
        EXPECT_TRUE(again.bytes == blob.bytes);
        EXPECT_EQ(again.digest, blob.digest);
    }
}

TEST(BlobSink, ZstdRoundTrip) {
    const std::string input = sample();
    const Blob blob = sink(input, Compression::Zstd, 4096);
    EXPECT_LT(blob.bytes.size(), input.size());
    EXPECT_EQ(blob.size, blob.bytes.size());
    EXPECT_EQ(blob.diff_id, Sha256::of(input));
    EXPECT_EQ(blob.digest, Sha256::of(blob.bytes));
    // The magic number 0xFD2FB528, little endian (RFC 8878).
    EXPECT_EQ(blob.bytes.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
    std::string back(input.size() + 1024, '\0');
    const size_t n =
        ZSTD_decompress(back.data(), back.size(), blob.bytes.data(), blob.bytes.size());
    ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    back.resize(n);
    EXPECT_TRUE(back == input);
    EXPECT_TRUE(sink(input, Compression::Zstd, 4096).bytes == blob.bytes);
}

// A stream that ends incompressible: what is left to flush at the end is more than one call of
// the compressor's output buffer holds, for both compressors.
TEST(BlobSink, IncompressibleEndFlushedWhole) {
    const std::string input = sample(1000) + noise(700 << 10, 7);
    for (size_t piece : {size_t{10240}, input.size()}) {
        const Blob gz = sink(input, Compression::Gzip, piece);
        EXPECT_TRUE(gunzip(gz.bytes) == input) << piece;
        const Blob zst = sink(input, Compression::Zstd, piece);
        std::string back(input.size() + 1024, '\0');
        const size_t n =
            ZSTD_decompress(back.data(), back.size(), zst.bytes.data(), zst.bytes.size());
        ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n) << ", pieces of " << piece;
        back.resize(n);
        EXPECT_TRUE(back == input) << piece;
    }
}

// Each level gives its own bytes, the same each time, whatever level the compressors that came
// before were made for (they are kept for reuse).
TEST(BlobSink, LevelsChangeTheBytesNotTheContent) {
    const std::string input = sample(1 << 18);
    const Blob fast = sink(input, Compression::Gzip, 10240, 1);
    const Blob standard = sink(input, Compression::Gzip);
    const Blob hardest = sink(input, Compression::Gzip, 10240, 12);
    EXPECT_TRUE(sink(input, Compression::Gzip, 10240, 6).bytes == standard.bytes);
    EXPECT_TRUE(sink(input, Compression::Gzip, 10240, 1).bytes == fast.bytes);
    EXPECT_GT(fast.size, standard.size);
    EXPECT_GT(standard.size, hardest.size);
    for (const Blob* blob : {&fast, &standard, &hardest}) {
        EXPECT_TRUE(gunzip(blob->bytes) == input);
        EXPECT_EQ(blob->diff_id, Sha256::of(input));
    }
    const Blob zstd_fast = sink(input, Compression::Zstd, 10240, 1);
    const Blob zstd_standard = sink(input, Compression::Zstd);
    EXPECT_TRUE(sink(input, Compression::Zstd, 10240, 3).bytes == zstd_standard.bytes);
    EXPECT_FALSE(zstd_fast.bytes == zstd_standard.bytes);
    EXPECT_GT(zstd_standard.size, sink(input, Compression::Zstd, 10240, 19).size);
}

TEST(BlobSink, NoneWritesTheInputAsIs) {
    const std::string input = sample(300 << 10);  // more than one output chunk
    const Blob blob = sink(input, Compression::None, 7777);
    EXPECT_TRUE(blob.bytes == input);
    EXPECT_EQ(blob.size, input.size());
    EXPECT_EQ(blob.digest, Sha256::of(input));
    EXPECT_EQ(blob.diff_id, blob.digest);
}

TEST(BlobSink, EmptyInput) {
    for (Compression c : {Compression::Gzip, Compression::Zstd, Compression::None}) {
        const Blob blob = sink("", c);
        EXPECT_EQ(blob.diff_id, Sha256::of(""));
        EXPECT_EQ(blob.digest, Sha256::of(blob.bytes));
        EXPECT_EQ(blob.size, blob.bytes.size());
        if (c == Compression::Gzip) {
            EXPECT_EQ(gunzip(blob.bytes), "");
        }
    }
}

TEST(BlobSink, WriteErrorNamesTheOutput) {
    ScratchDir dir;
    const int fd = open((dir / "blob").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    BlobSink s(fd, Compression::None, "/some/where/blob");
    s.write("data");
    EXPECT_ERROR_CONTAINS(s.finish(), SystemError, "/some/where/blob");
    close(fd);
}

TEST(Compression, ParsedByNameWithTheirLevelsAndMediaTypes) {
    EXPECT_EQ(parse_compression("gzip", "--compression"), Compression::Gzip);
    EXPECT_EQ(parse_compression("zstd", "--compression"), Compression::Zstd);
    EXPECT_EQ(parse_compression("none", "--compression"), Compression::None);
    EXPECT_ERROR_CONTAINS(parse_compression("xz", "--compression"), SpecError,
                          "--compression: xz is not a compression (expected gzip, zstd or none)");
    EXPECT_EQ(compression_level(Compression::Gzip, std::nullopt, "--compression-level"), 6);
    EXPECT_EQ(compression_level(Compression::Zstd, std::nullopt, "--compression-level"), 3);
    EXPECT_EQ(compression_level(Compression::None, std::nullopt, "--compression-level"), 0);
    EXPECT_EQ(compression_level(Compression::Gzip, 12, "--compression-level"), 12);
    EXPECT_EQ(compression_level(Compression::Zstd, 19, "--compression-level"), 19);
    EXPECT_ERROR_CONTAINS(compression_level(Compression::Gzip, 0, "--compression-level"),
                          SpecError, "--compression-level: 0 is not a level of gzip (expected 1 to 12)");
    EXPECT_ERROR_CONTAINS(compression_level(Compression::Zstd, 20, "--compression-level"),
                          SpecError, "20 is not a level of zstd (expected 1 to 19)");
    EXPECT_ERROR_CONTAINS(compression_level(Compression::None, 1, "--compression-level"),
                          SpecError, "--compression-level: there is no level for --compression none");
    EXPECT_STREQ(layer_media_type(Compression::Gzip),
                 "application/vnd.oci.image.layer.v1.tar+gzip");
    EXPECT_STREQ(layer_media_type(Compression::Zstd),
                 "application/vnd.oci.image.layer.v1.tar+zstd");
    EXPECT_STREQ(layer_media_type(Compression::None), "application/vnd.oci.image.layer.v1.tar");
}

}  // namespace
}  // namespace ocitools
