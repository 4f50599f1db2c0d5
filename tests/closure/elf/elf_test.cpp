#include "closure/elf/elf.h"

#include "base/error.h"
#include "test_support.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace ocitools {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Helpers

class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "ocitools-elf-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

std::vector<std::byte> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> bytes(chars.size());
    for (std::size_t i = 0; i < chars.size(); ++i) bytes[i] = static_cast<std::byte>(chars[i]);
    return bytes;
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}



// Compile C source `code` into `out` with extra `flags`; true on success.
bool compile(const TempDir& dir, const std::string& code, const std::string& flags,
             const fs::path& out) {
    static int counter = 0;
    const fs::path source = dir.path() / ("src" + std::to_string(counter++) + ".c");
    write_text(source, code);
    const std::string command = "cc -o '" + out.string() + "' '" + source.string() + "' " + flags +
                                " >'" + (dir.path() / "cc.log").string() + "' 2>&1";
    return std::system(command.c_str()) == 0;
}

// Parse must either succeed or throw FormatError; anything else (another exception, a crash under
// ASan) fails the test.
void expect_parses_or_format_error(std::span<const std::byte> bytes, const std::string& what) {
    try {
        (void)ElfFile::parse(bytes, "image");
    } catch (const FormatError&) {
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": unexpected exception " << e.what();
    }
}

// Expect FormatError whose message contains `cause`.
#define EXPECT_FORMAT_ERROR(bytes, cause)                                                \
    do {                                                                                 \
        try {                                                                            \
            (void)ElfFile::parse((bytes), "/x/img");                                     \
            ADD_FAILURE() << "expected FormatError containing \"" << (cause) << "\"";    \
        } catch (const FormatError& e) {                                                 \
            EXPECT_NE(std::string(e.what()).find(cause), std::string::npos) << e.what(); \
            EXPECT_EQ(std::string(e.what()).rfind("/x/img: ", 0), 0u) << e.what();       \
        }                                                                                \
    } while (0)

// A synthetic ELF image: header, program headers (PT_INTERP, PT_LOAD covering the whole file,
// PT_DYNAMIC), interpreter string, string table, dynamic array. Offsets are kept so tests can
// corrupt single fields.
struct ElfImage {
    std::vector<std::byte> bytes;
    bool is64 = true;
    bool big = false;
    std::uint64_t phoff = 0, interp_off = 0, strtab_off = 0, strtab_size = 0, dynamic_off = 0;
    std::uint64_t load_ph = 0, dynamic_ph = 0, interp_ph = 0;  // offsets of those phdrs

    void put(std::uint64_t offset, std::uint64_t value, int size) {
        for (int i = 0; i < size; ++i) {
            const int shift = big ? 8 * (size - 1 - i) : 8 * i;
            bytes.at(offset + i) = static_cast<std::byte>((value >> shift) & 0xff);
        }
    }
    void put_word(std::uint64_t offset, std::uint64_t value) { put(offset, value, is64 ? 8 : 4); }
    // Program header field offsets.
    std::uint64_t p_offset() const { return is64 ? 8 : 4; }
    std::uint64_t p_vaddr() const { return is64 ? 16 : 8; }
    std::uint64_t p_filesz() const { return is64 ? 32 : 16; }
    std::uint64_t e_phoff() const { return is64 ? 32 : 28; }
    std::uint64_t e_phentsize() const { return is64 ? 54 : 42; }
    std::uint64_t e_phnum() const { return is64 ? 56 : 44; }
};

struct ElfSpec {
    bool is64 = true;
    bool big = false;
    std::uint16_t machine = EM_X86_64;
    std::uint16_t type = ET_DYN;
    std::optional<std::string> interpreter;
    std::vector<std::string> needed;
    std::optional<std::string> rpath, runpath, soname;
};

constexpr std::uint64_t kBase = 0x400000;

ElfImage build_elf(const ElfSpec& spec) {
    ElfImage img;
    img.is64 = spec.is64;
    img.big = spec.big;
    const std::uint64_t ehsize = spec.is64 ? 64 : 52, phsize = spec.is64 ? 56 : 32,
                        dynsize = spec.is64 ? 16 : 8;
    const std::uint64_t phnum = spec.interpreter ? 3 : 2;
    img.phoff = ehsize;
    std::uint64_t cursor = ehsize + phnum * phsize;
    if (spec.interpreter) {
        img.interp_off = cursor;
        cursor += spec.interpreter->size() + 1;
    }
    // String table.
    std::string strtab(1, '\0');
    auto add = [&](const std::string& s) {
        const std::uint64_t at = strtab.size();
        strtab += s;
        strtab += '\0';
        return at;
    };
    std::vector<std::pair<std::int64_t, std::uint64_t>> dyn;
    for (const auto& n : spec.needed) dyn.emplace_back(DT_NEEDED, add(n));
    if (spec.rpath) dyn.emplace_back(DT_RPATH, add(*spec.rpath));
    if (spec.runpath) dyn.emplace_back(DT_RUNPATH, add(*spec.runpath));
    if (spec.soname) dyn.emplace_back(DT_SONAME, add(*spec.soname));
    img.strtab_off = cursor;
    img.strtab_size = strtab.size();
    cursor += strtab.size();
    cursor = (cursor + 7) & ~std::uint64_t{7};
    dyn.emplace_back(DT_STRTAB, kBase + img.strtab_off);
    dyn.emplace_back(DT_STRSZ, strtab.size());
    dyn.emplace_back(DT_NULL, 0);
    img.dynamic_off = cursor;
    cursor += dyn.size() * dynsize;
    img.bytes.assign(cursor, std::byte{0});

    // e_ident and header.
    const char magic[] = {0x7f, 'E', 'L', 'F'};
    for (int i = 0; i < 4; ++i) img.bytes[i] = static_cast<std::byte>(magic[i]);
    img.bytes[EI_CLASS] = static_cast<std::byte>(spec.is64 ? ELFCLASS64 : ELFCLASS32);
    img.bytes[EI_DATA] = static_cast<std::byte>(spec.big ? ELFDATA2MSB : ELFDATA2LSB);
    img.bytes[EI_VERSION] = static_cast<std::byte>(EV_CURRENT);
    img.put(16, spec.type, 2);
    img.put(18, spec.machine, 2);
    img.put(20, EV_CURRENT, 4);
    img.put_word(img.e_phoff(), img.phoff);
    img.put(spec.is64 ? 52 : 40, ehsize, 2);
    img.put(img.e_phentsize(), phsize, 2);
    img.put(img.e_phnum(), phnum, 2);

    std::uint64_t ph = img.phoff;
    auto phdr = [&](std::uint32_t type, std::uint64_t offset, std::uint64_t filesz) {
        img.put(ph, type, 4);
        img.put_word(ph + img.p_offset(), offset);
        img.put_word(ph + img.p_vaddr(), kBase + offset);
        img.put_word(ph + img.p_filesz(), filesz);
        img.put_word(ph + (spec.is64 ? 40 : 20), filesz);  // p_memsz
        const std::uint64_t at = ph;
        ph += phsize;
        return at;
    };
    if (spec.interpreter) {
        img.interp_ph = phdr(PT_INTERP, img.interp_off, spec.interpreter->size() + 1);
        for (std::size_t i = 0; i < spec.interpreter->size(); ++i) {
            img.bytes[img.interp_off + i] = static_cast<std::byte>((*spec.interpreter)[i]);
        }
    }
    img.load_ph = phdr(PT_LOAD, 0, img.bytes.size());
    img.dynamic_ph = phdr(PT_DYNAMIC, img.dynamic_off, dyn.size() * dynsize);
    for (std::size_t i = 0; i < strtab.size(); ++i) {
        img.bytes[img.strtab_off + i] = static_cast<std::byte>(strtab[i]);
    }
    for (std::size_t i = 0; i < dyn.size(); ++i) {
        img.put_word(img.dynamic_off + i * dynsize, static_cast<std::uint64_t>(dyn[i].first));
        img.put_word(img.dynamic_off + i * dynsize + dynsize / 2, dyn[i].second);
    }
    return img;
}

ElfSpec full_spec(bool is64, bool big, std::uint16_t machine) {
    ElfSpec spec;
    spec.is64 = is64;
    spec.big = big;
    spec.machine = machine;
    spec.type = ET_EXEC;
    spec.interpreter = "/lib/ld.so.1";
    spec.needed = {"libfoo.so.1", "libc.so.6"};
    spec.rpath = "/opt/r";
    spec.runpath = "$ORIGIN/../lib:/opt/rp";
    spec.soname = "libself.so.2";
    return spec;
}

// ---------------------------------------------------------------------------------------------
// Synthetic images: every class and byte order

struct Variant {
    bool is64;
    bool big;
    std::uint16_t machine;
};

class ElfSyntheticTest : public ::testing::TestWithParam<Variant> {};

TEST_P(ElfSyntheticTest, ParsesAllFields) {
    const Variant v = GetParam();
    const ElfImage img = build_elf(full_spec(v.is64, v.big, v.machine));
    const ElfFile elf = ElfFile::parse(img.bytes, "synthetic");
    EXPECT_EQ(elf.identity().elf_class, v.is64 ? ElfClass::Elf64 : ElfClass::Elf32);
    EXPECT_EQ(elf.identity().data, v.big ? ElfData::Big : ElfData::Little);
    EXPECT_EQ(elf.identity().machine, v.machine);
    EXPECT_EQ(elf.type(), ET_EXEC);
    EXPECT_EQ(elf.interpreter(), "/lib/ld.so.1");
    EXPECT_EQ(elf.needed(), (std::vector<std::string>{"libfoo.so.1", "libc.so.6"}));
    EXPECT_EQ(elf.rpath(), "/opt/r");
    EXPECT_EQ(elf.runpath(), "$ORIGIN/../lib:/opt/rp");
    EXPECT_EQ(elf.soname(), "libself.so.2");
    EXPECT_TRUE(elf.is_dynamic());
}

TEST_P(ElfSyntheticTest, EveryPrefixIsAnErrorOrAParse) {
    const Variant v = GetParam();
    const ElfImage img = build_elf(full_spec(v.is64, v.big, v.machine));
    for (std::size_t n = 0; n < img.bytes.size(); ++n) {
        // Each prefix in a buffer of its own, so ASan sees any read past it.
        const std::vector<std::byte> prefix(img.bytes.begin(), img.bytes.begin() + n);
        EXPECT_THROW((void)ElfFile::parse(prefix, "prefix"), FormatError) << "length " << n;
    }
}

TEST_P(ElfSyntheticTest, SingleByteCorruptionsNeverCrash) {
    const Variant v = GetParam();
    const ElfImage img = build_elf(full_spec(v.is64, v.big, v.machine));
    for (std::size_t i = 0; i < img.bytes.size(); ++i) {
        for (std::byte value : {std::byte{0x00}, std::byte{0x01}, std::byte{0x7f}, std::byte{0x80},
                                std::byte{0xff}}) {
            std::vector<std::byte> copy = img.bytes;
            copy[i] = value;
            expect_parses_or_format_error(copy, "byte " + std::to_string(i));
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Elf, ElfSyntheticTest,
                         ::testing::Values(Variant{false, false, EM_386},
                                           Variant{false, true, EM_PPC},
                                           Variant{true, false, EM_X86_64},
                                           Variant{true, true, EM_S390}),
                         [](const auto& info) {
                             return std::string(info.param.is64 ? "Elf64" : "Elf32") +
                                    (info.param.big ? "Big" : "Little");
                         });

TEST(ElfSynthetic, MinimalImageWithoutDynamic) {
    ElfSpec spec;
    ElfImage img = build_elf(spec);
    // Turn PT_DYNAMIC into PT_NULL: a static executable.
    img.put(img.dynamic_ph, PT_NULL, 4);
    const ElfFile elf = ElfFile::parse(img.bytes, "static");
    EXPECT_FALSE(elf.interpreter());
    EXPECT_TRUE(elf.needed().empty());
    EXPECT_FALSE(elf.is_dynamic());
}

TEST(ElfSynthetic, NoProgramHeaders) {
    ElfImage img = build_elf(ElfSpec{});
    img.put(img.e_phnum(), 0, 2);
    img.put(img.e_phentsize(), 0, 2);
    const ElfFile elf = ElfFile::parse(img.bytes, "rel");
    EXPECT_FALSE(elf.is_dynamic());
}

// e_phnum bounds the table: a program header after the last one counted is not read, even when
// the file holds one there (an off-by-one would take this PT_DYNAMIC for the object's).
TEST(ElfSynthetic, OnlyTheCountedProgramHeadersAreRead) {
    ElfImage img = build_elf(full_spec(true, false, EM_X86_64));  // PT_INTERP, PT_LOAD, PT_DYNAMIC
    img.put(img.e_phnum(), 2, 2);
    const ElfFile elf = ElfFile::parse(img.bytes, "two");
    EXPECT_EQ(elf.interpreter(), "/lib/ld.so.1");
    EXPECT_FALSE(elf.soname());
    EXPECT_TRUE(elf.needed().empty());
}

TEST(ElfSynthetic, ExtendedProgramHeaderCount) {
    // e_phnum == PN_XNUM: the count lives in sh_info of section header 0 (gABI).
    ElfImage img = build_elf(full_spec(true, false, EM_X86_64));
    const std::uint64_t shoff = img.bytes.size();
    img.bytes.resize(shoff + 64);
    img.put(img.e_phnum(), PN_XNUM, 2);
    img.put_word(40, shoff);    // e_shoff
    img.put(58, 64, 2);         // e_shentsize
    img.put(shoff + 44, 3, 4);  // sh_info: PT_INTERP, PT_LOAD, PT_DYNAMIC
    const ElfFile elf = ElfFile::parse(img.bytes, "xnum");
    EXPECT_EQ(elf.interpreter(), "/lib/ld.so.1");
    EXPECT_EQ(elf.soname(), "libself.so.2");
}

TEST(ElfSynthetic, StringTableFoundThroughTheRightLoadSegment) {
    // Move the PT_LOAD to a different virtual address: DT_STRTAB no longer maps.
    ElfImage img = build_elf(full_spec(true, false, EM_X86_64));
    img.put_word(img.load_ph + img.p_vaddr(), 0x800000);
    EXPECT_FORMAT_ERROR(img.bytes, "is not in any PT_LOAD segment");
}

TEST(ElfSynthetic, RejectsBadIdentification) {
    const ElfImage img = build_elf(ElfSpec{});
    std::vector<std::byte> copy = img.bytes;
    copy[0] = std::byte{0};
    EXPECT_FORMAT_ERROR(copy, "not an ELF file");
    copy = img.bytes;
    copy[EI_CLASS] = std::byte{3};
    EXPECT_FORMAT_ERROR(copy, "invalid ELF class 3");
    copy = img.bytes;
    copy[EI_DATA] = std::byte{0};
    EXPECT_FORMAT_ERROR(copy, "invalid ELF data encoding 0");
    copy = img.bytes;
    copy[EI_VERSION] = std::byte{2};
    EXPECT_FORMAT_ERROR(copy, "invalid ELF version");
    EXPECT_FORMAT_ERROR(std::span<const std::byte>(), "not an ELF file");
    EXPECT_FORMAT_ERROR(std::span<const std::byte>(img.bytes).first(10), "truncated ELF");
    EXPECT_FORMAT_ERROR(std::span<const std::byte>(img.bytes).first(40), "file header");
}

TEST(ElfSynthetic, RejectsCorruptProgramHeaderTable) {
    ElfImage img = build_elf(full_spec(true, false, EM_X86_64));
    const std::vector<std::byte> pristine = img.bytes;
    img.put_word(img.e_phoff(), 0xfffffffffffffff0ull);
    EXPECT_FORMAT_ERROR(img.bytes, "program header table past end of file");
    img.bytes = pristine;
    img.put(img.e_phnum(), 0xfff0, 2);
    EXPECT_FORMAT_ERROR(img.bytes, "program header table past end of file");
    img.bytes = pristine;
    img.put(img.e_phnum(), PN_XNUM, 2);  // PN_XNUM without section headers
    EXPECT_FORMAT_ERROR(img.bytes, "PN_XNUM");
    img.bytes = pristine;
    img.put(img.e_phentsize(), 40, 2);
    EXPECT_FORMAT_ERROR(img.bytes, "unexpected e_phentsize 40 (expected 56)");
}

TEST(ElfSynthetic, RejectsCorruptSegments) {
    ElfImage img = build_elf(full_spec(false, true, EM_PPC));
    const std::vector<std::byte> pristine = img.bytes;

    img.put_word(img.interp_ph + img.p_offset(), 0xfffffff0u);
    EXPECT_FORMAT_ERROR(img.bytes, "PT_INTERP past end of file");
    img.bytes = pristine;
    img.put_word(img.interp_ph + img.p_filesz(), 3);  // "/li" without its NUL
    EXPECT_FORMAT_ERROR(img.bytes, "PT_INTERP is not a NUL-terminated string");
    img.bytes = pristine;
    img.bytes[img.interp_off] = std::byte{0};
    EXPECT_FORMAT_ERROR(img.bytes, "PT_INTERP is empty");

    img.bytes = pristine;
    img.put_word(img.dynamic_ph + img.p_filesz(), 0x10000000);
    EXPECT_FORMAT_ERROR(img.bytes, "PT_DYNAMIC past end of file");

    // The PT_LOAD claims a file image far past the end: DT_STRTAB maps outside the file.
    img.bytes = pristine;
    img.put_word(img.load_ph + img.p_offset(), 0x7fff0000);
    EXPECT_FORMAT_ERROR(img.bytes, "DT_STRTAB");
}

TEST(ElfSynthetic, RejectsBadStrings) {
    ElfImage img = build_elf(full_spec(true, true, EM_S390));
    const std::vector<std::byte> pristine = img.bytes;
    const std::uint64_t dynsize = 16;

    // DT_NEEDED (first dynamic entry) pointing past DT_STRSZ.
    img.put_word(img.dynamic_off + dynsize / 2, img.strtab_size + 5);
    EXPECT_FORMAT_ERROR(img.bytes, "DT_NEEDED string offset");
    // ... and far past the end of the file.
    img.put_word(img.dynamic_off + dynsize / 2, 0xffffffffffffull);
    EXPECT_FORMAT_ERROR(img.bytes, "past the end of the string table");

    // DT_STRSZ cutting the last string (the soname) short. Dynamic entries: NEEDED, NEEDED,
    // RPATH, RUNPATH, SONAME, STRTAB, STRSZ, NULL.
    img.bytes = pristine;
    img.put_word(img.dynamic_off + 6 * dynsize + 8, img.strtab_size - 2);
    EXPECT_FORMAT_ERROR(img.bytes, "DT_SONAME string is not NUL-terminated");

    // String entries without DT_STRTAB.
    img.bytes = pristine;
    img.put_word(img.dynamic_off + 5 * dynsize, DT_DEBUG);
    EXPECT_FORMAT_ERROR(img.bytes, "no DT_STRTAB");
}

TEST(ElfSynthetic, UnterminatedStringAtEndOfFile) {
    // A string table that runs to the end of the file without a final NUL.
    ElfSpec spec;
    spec.soname = "libx.so";
    ElfImage img = build_elf(spec);
    // Put the string table at the very end: drop DT_STRSZ and point DT_STRTAB at the last byte.
    const std::uint64_t dynsize = 16;
    img.put_word(img.dynamic_off + 1 * dynsize + 8, kBase + img.bytes.size() - 1);  // DT_STRTAB
    img.put_word(img.dynamic_off + 2 * dynsize, DT_DEBUG);                          // DT_STRSZ
    img.bytes.back() = std::byte{'x'};
    img.put_word(img.dynamic_off + 8, 0);  // soname at offset 0 of the table
    EXPECT_FORMAT_ERROR(img.bytes, "DT_SONAME string is not NUL-terminated");
}

// ---------------------------------------------------------------------------------------------
// Real objects built by the system compiler

class ElfCompiledTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!ocitools::testing::have_compiler()) GTEST_SKIP() << "no C compiler";
    }
    TempDir dir;
};

TEST_F(ElfCompiledTest, SharedLibraryWithSonameAndRunpath) {
    const fs::path lib = dir.path() / "libfoo.so.1";
    ASSERT_TRUE(compile(dir, "int foo(void) { return 1; }\n",
                        "-shared -fPIC -Wl,-soname,libfoo.so.1 -Wl,--enable-new-dtags "
                        "-Wl,-rpath,/opt/a:/opt/b",
                        lib));
    const ElfFile elf = ElfFile::load(lib);
    EXPECT_EQ(elf.type(), ET_DYN);
    EXPECT_EQ(elf.soname(), "libfoo.so.1");
    EXPECT_EQ(elf.runpath(), "/opt/a:/opt/b");
    EXPECT_FALSE(elf.rpath());
    EXPECT_FALSE(elf.interpreter());
}

TEST_F(ElfCompiledTest, ExecutableWithRpathAndNeeded) {
    const fs::path lib = dir.path() / "libfoo.so.1";
    ASSERT_TRUE(compile(dir, "int foo(void) { return 1; }\n",
                        "-shared -fPIC -Wl,-soname,libfoo.so.1", lib));
    const fs::path exe = dir.path() / "main";
    ASSERT_TRUE(compile(dir, "int foo(void);\nint main(void) { return foo(); }\n",
                        "'" + lib.string() +
                            "' -Wl,--no-as-needed -Wl,--disable-new-dtags -Wl,-rpath,'$ORIGIN/lib'",
                        exe));
    const ElfFile elf = ElfFile::load(exe);
    EXPECT_EQ(elf.rpath(), "$ORIGIN/lib");
    EXPECT_FALSE(elf.runpath());
    EXPECT_FALSE(elf.soname());
    ASSERT_TRUE(elf.interpreter());
    EXPECT_EQ(elf.interpreter()->front(), '/');
    EXPECT_EQ(elf.needed(), (std::vector<std::string>{"libfoo.so.1", "libc.so.6"}));
    EXPECT_TRUE(elf.is_dynamic());
    EXPECT_EQ(elf.identity(), ElfFile::load(lib).identity());
#if defined(__x86_64__)
    EXPECT_EQ(elf.interpreter(), "/lib64/ld-linux-x86-64.so.2");
    EXPECT_EQ(elf.identity(), (ElfIdentity{ElfClass::Elf64, ElfData::Little, EM_X86_64}));
#endif
}

TEST_F(ElfCompiledTest, StaticExecutable) {
    const fs::path exe = dir.path() / "static";
    if (!compile(dir, "int main(void) { return 0; }\n", "-static", exe)) {
        GTEST_SKIP() << "static linking unavailable (no libc.a)";
    }
    const ElfFile elf = ElfFile::load(exe);
    EXPECT_FALSE(elf.interpreter());
    EXPECT_TRUE(elf.needed().empty());
    EXPECT_FALSE(elf.is_dynamic());
    EXPECT_EQ(elf.type(), ET_EXEC);
}

TEST_F(ElfCompiledTest, EveryPrefixOfARealLibraryIsAnErrorOrAParse) {
    const fs::path lib = dir.path() / "libp.so";
    ASSERT_TRUE(compile(dir, "int p(void) { return 1; }\n",
                        "-shared -fPIC -Wl,-soname,libp.so -Wl,-rpath,/r -Wl,-s", lib));
    const std::vector<std::byte> bytes = read_bytes(lib);
    ASSERT_NO_THROW((void)ElfFile::parse(bytes, "full"));
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + n);
        expect_parses_or_format_error(prefix, "length " + std::to_string(n));
    }
}

// ---------------------------------------------------------------------------------------------
// Files on this machine

TEST(ElfSystem, UsrBinLs) {
    if (!fs::exists("/usr/bin/ls")) GTEST_SKIP();
    const ElfFile elf = ElfFile::load("/usr/bin/ls");
    const auto& needed = elf.needed();
    EXPECT_NE(std::find(needed.begin(), needed.end(), "libc.so.6"), needed.end());
#if defined(__x86_64__)
    EXPECT_EQ(elf.interpreter(), "/lib64/ld-linux-x86-64.so.2");
    EXPECT_EQ(elf.identity(), (ElfIdentity{ElfClass::Elf64, ElfData::Little, EM_X86_64}));
#endif
}

// Every ELF file in /usr/bin parses, and a sample agrees with readelf(1) on DT_NEEDED, the
// interpreter, RPATH/RUNPATH and SONAME.
TEST(ElfSystem, AgreesWithReadelf) {
    if (std::system("readelf --version >/dev/null 2>&1") != 0) GTEST_SKIP() << "no readelf";
    int parsed = 0, compared = 0;
    for (const auto& entry : fs::directory_iterator("/usr/bin")) {
        std::error_code ec;
        if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
        const std::vector<std::byte> bytes = read_bytes(entry.path());
        if (!ElfFile::has_magic(bytes)) continue;
        const ElfFile elf = ElfFile::parse(bytes, entry.path());  // must not throw
        ++parsed;
        if (compared >= 40) continue;
        ++compared;
        const std::string out = ocitools::testing::run_output("LC_ALL=C readelf -ldW '" + entry.path().string() + "'");
        std::vector<std::string> needed;
        std::optional<std::string> interp, rpath, runpath, soname;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            auto bracketed = [&](const std::string& key) -> std::optional<std::string> {
                const auto at = line.find(key);
                if (at == std::string::npos) return std::nullopt;
                const auto open = line.find('[', at), close = line.rfind(']');
                return line.substr(open + 1, close - open - 1);
            };
            if (auto s = bracketed("(NEEDED)")) needed.push_back(*s);
            if (auto s = bracketed("(RPATH)")) rpath = s;
            if (auto s = bracketed("(RUNPATH)")) runpath = s;
            if (auto s = bracketed("(SONAME)")) soname = s;
            if (auto at = line.find("[Requesting program interpreter: "); at != std::string::npos) {
                const auto begin = at + std::string("[Requesting program interpreter: ").size();
                interp = line.substr(begin, line.rfind(']') - begin);
            }
        }
        EXPECT_EQ(elf.needed(), needed) << entry.path();
        EXPECT_EQ(elf.interpreter(), interp) << entry.path();
        EXPECT_EQ(elf.rpath(), rpath) << entry.path();
        EXPECT_EQ(elf.runpath(), runpath) << entry.path();
        EXPECT_EQ(elf.soname(), soname) << entry.path();
    }
    EXPECT_GT(parsed, 0);
}

// ---------------------------------------------------------------------------------------------
// load(): files that are not ELF objects

TEST(ElfLoad, Errors) {
    TempDir dir;
    EXPECT_THROW((void)ElfFile::load(dir.path() / "missing"), SystemError);
    EXPECT_THROW((void)ElfFile::load(dir.path()), FormatError);  // a directory

    const fs::path empty = dir.path() / "empty";
    write_text(empty, "");
    try {
        (void)ElfFile::load(empty);
        ADD_FAILURE() << "empty file parsed";
    } catch (const FormatError& e) {
        EXPECT_NE(std::string(e.what()).find(empty.string() + ": not an ELF file"),
                  std::string::npos)
            << e.what();
    }

    const fs::path script = dir.path() / "has space";
    write_text(script, "#!/bin/sh\necho hi\n");
    try {
        (void)ElfFile::load(script);
        ADD_FAILURE() << "script parsed";
    } catch (const FormatError& e) {
        EXPECT_EQ(std::string(e.what()),
                  ocitools::quote(script.string()) + ": not an ELF file (bad magic)");
    }

    // A FIFO must be refused without blocking for a writer.
    const fs::path fifo = dir.path() / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_THROW((void)ElfFile::load(fifo), FormatError);
}

TEST(ElfLoad, HasMagic) {
    const std::byte elf[] = {std::byte{0x7f}, std::byte{'E'}, std::byte{'L'}, std::byte{'F'}};
    EXPECT_TRUE(ElfFile::has_magic(elf));
    EXPECT_FALSE(ElfFile::has_magic(std::span<const std::byte>(elf).first(3)));
    const std::byte script[] = {std::byte{'#'}, std::byte{'!'}, std::byte{'/'}, std::byte{'b'}};
    EXPECT_FALSE(ElfFile::has_magic(script));
}

}  // namespace
}  // namespace ocitools
