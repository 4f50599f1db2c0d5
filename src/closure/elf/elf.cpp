#include "closure/elf/elf.h"

#include "closure/elf/elf_bytes.h"
#include "base/error.h"
#include "fs/unique_fd.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ocitools {

// ---------------------------------------------------------------------------------------------
// ElfFile

namespace {

// Field offsets of the ELF structures we read, per class (gABI "ELF Header", "Program Header",
// "Dynamic Section"; glibc elf.h Elf32_* / Elf64_*). p_type is at 0 in both.
struct ElfLayout {
    bool wide;  // ELFCLASS64: addresses, offsets and d_tag are 8 bytes
    std::uint64_t ehdr_size, e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize;
    std::uint64_t phdr_size, p_offset, p_vaddr, p_filesz;
    std::uint64_t shdr_size, sh_info, dyn_size, d_val;

    std::uint64_t word(const ByteView& v, std::uint64_t offset) const {
        return wide ? v.u64(offset) : v.u32(offset);
    }
    std::int64_t sword(const ByteView& v, std::uint64_t offset) const {
        return wide ? static_cast<std::int64_t>(v.u64(offset))
                    : static_cast<std::int32_t>(v.u32(offset));
    }
};
// In the order of the fields above.
constexpr ElfLayout kElf32{false, 52, 28, 32, 42, 44, 46, 32, 4, 8, 16, 40, 28, 8, 4};
constexpr ElfLayout kElf64{true, 64, 32, 40, 54, 56, 58, 56, 8, 16, 32, 64, 44, 16, 8};
constexpr std::uint64_t kPType = 0;

// Offsets 16 and 18 are the same in both classes.
constexpr std::uint64_t kEType = 16, kEMachine = 18;

struct Segment {
    std::uint64_t offset;
    std::uint64_t vaddr;
    std::uint64_t filesz;
};

// What ElfFile needs, gathered by one pass over the image.
struct ParsedElf {
    std::uint16_t type = 0;
    std::uint16_t machine = 0;
    std::optional<std::string> interpreter;
    std::vector<std::string> needed;
    std::vector<std::string> filters;
    std::vector<std::string> auxiliaries;
    std::optional<std::string> rpath;
    std::optional<std::string> runpath;
    std::optional<std::string> soname;
    std::uint64_t flags_1 = 0;
};

std::string hex(std::uint64_t value) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[value & 15]);
        value >>= 4;
    } while (value != 0);
    return "0x" + out;
}

// The number of program headers. PN_XNUM means the real count is in sh_info of section 0
// (gABI "Extended numbering"); ld.so does not support it, but the value is cheap to honour.
template <const ElfLayout& L>
std::uint64_t program_header_count(const ByteView& v) {
    const std::uint64_t phnum = v.u16(L.e_phnum);
    if (phnum != PN_XNUM) return phnum;
    const std::uint64_t shoff = L.word(v, L.e_shoff);
    if (shoff == 0 || v.u16(L.e_shentsize) != L.shdr_size || !v.contains(shoff, L.shdr_size)) {
        v.fail("e_phnum is PN_XNUM but section header 0 is missing or truncated");
    }
    return v.u32(shoff + L.sh_info);
}

template <const ElfLayout& L>
ParsedElf parse_image(const ByteView& v) {
    ParsedElf out;
    if (!v.contains(0, L.ehdr_size)) v.fail("truncated ELF: file header past end of file");
    out.type = v.u16(kEType);
    out.machine = v.u16(kEMachine);

    // The program header table: ld.so(8) and the kernel insist on the exact entry size.
    const std::uint64_t phoff = L.word(v, L.e_phoff);
    const std::uint64_t phnum = program_header_count<L>(v);
    if (phnum != 0 && v.u16(L.e_phentsize) != L.phdr_size) {
        v.fail("unexpected e_phentsize " + std::to_string(v.u16(L.e_phentsize)) + " (expected " +
               std::to_string(L.phdr_size) + ")");
    }
    // phnum < 2^32 and phdr_size <= 56, so the product cannot overflow.
    if (phnum != 0 && !v.contains(phoff, phnum * L.phdr_size)) {
        v.fail("truncated ELF: program header table past end of file");
    }

    std::vector<Segment> loads;
    std::optional<Segment> interp;
    std::optional<Segment> dynamic;
    for (std::uint64_t i = 0; i < phnum; ++i) {
        const std::uint64_t ph = phoff + i * L.phdr_size;
        const std::uint32_t p_type = v.u32(ph + kPType);
        if (p_type != PT_LOAD && p_type != PT_INTERP && p_type != PT_DYNAMIC) continue;
        const Segment seg{L.word(v, ph + L.p_offset), L.word(v, ph + L.p_vaddr),
                          L.word(v, ph + L.p_filesz)};
        if (p_type == PT_LOAD) {
            loads.push_back(seg);
        } else if (p_type == PT_INTERP) {
            if (!interp) interp = seg;  // The kernel uses the first PT_INTERP.
        } else if (!dynamic) {
            dynamic = seg;
        }
    }

    if (interp) {
        if (!v.contains(interp->offset, interp->filesz)) {
            v.fail("truncated ELF: PT_INTERP past end of file");
        }
        auto s = v.c_string(interp->offset, interp->offset + interp->filesz);
        if (!s) v.fail("PT_INTERP is not a NUL-terminated string");
        if (s->empty()) v.fail("PT_INTERP is empty");
        out.interpreter.emplace(*s);
    }
    if (!dynamic) return out;

    if (!v.contains(dynamic->offset, dynamic->filesz)) {
        v.fail("truncated ELF: PT_DYNAMIC past end of file");
    }
    // String-valued tags hold offsets into DT_STRTAB, which may come later in the array; collect
    // first, resolve after. When a tag repeats, the last one wins, as in glibc's
    // elf_get_dynamic_info (needed and filter entries are all kept, in order).
    std::vector<std::uint64_t> needed, filters, auxiliaries;
    std::optional<std::uint64_t> rpath, runpath, soname, strtab, strsz;
    const std::uint64_t count = dynamic->filesz / L.dyn_size;
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t d = dynamic->offset + i * L.dyn_size;
        const std::int64_t tag = L.sword(v, d);
        if (tag == DT_NULL) break;
        const std::uint64_t val = L.word(v, d + L.d_val);
        switch (tag) {
            case DT_NEEDED:
                needed.push_back(val);
                break;
            case DT_FILTER:
                filters.push_back(val);
                break;
            case DT_AUXILIARY:
                auxiliaries.push_back(val);
                break;
            case DT_FLAGS_1:
                out.flags_1 = val;
                break;
            case DT_RPATH:
                rpath = val;
                break;
            case DT_RUNPATH:
                runpath = val;
                break;
            case DT_SONAME:
                soname = val;
                break;
            case DT_STRTAB:
                strtab = val;
                break;
            case DT_STRSZ:
                strsz = val;
                break;
            default:
                break;
        }
    }
    if (needed.empty() && filters.empty() && auxiliaries.empty() && !rpath && !runpath && !soname)
        return out;
    if (!strtab) v.fail("PT_DYNAMIC has string entries but no DT_STRTAB");

    // DT_STRTAB is an address: find the PT_LOAD whose file image holds it (ld.so reads it from
    // memory, where only p_filesz bytes come from the file).
    std::uint64_t str_begin = 0, str_end = 0;
    bool mapped = false;
    for (const Segment& seg : loads) {
        if (*strtab < seg.vaddr || *strtab - seg.vaddr >= seg.filesz) continue;
        const std::uint64_t delta = *strtab - seg.vaddr;
        if (seg.offset > v.size() || delta >= v.size() - seg.offset) {
            v.fail("truncated ELF: DT_STRTAB " + hex(*strtab) + " maps past end of file");
        }
        str_begin = seg.offset + delta;
        // The table ends where the segment's file image ends, the file ends, or DT_STRSZ says.
        str_end = checked_end(seg.offset, seg.filesz, v.size()).value_or(v.size());
        if (strsz && *strsz < str_end - str_begin) str_end = str_begin + *strsz;
        mapped = true;
        break;
    }
    if (!mapped) v.fail("DT_STRTAB address " + hex(*strtab) + " is not in any PT_LOAD segment");

    auto string_at = [&](std::uint64_t offset, const char* tag) {
        if (offset >= str_end - str_begin) {
            v.fail(std::string(tag) + " string offset " + std::to_string(offset) +
                   " is past the end of the string table");
        }
        auto s = v.c_string(str_begin + offset, str_end);
        if (!s) v.fail(std::string(tag) + " string is not NUL-terminated");
        return std::string(*s);
    };
    out.needed.reserve(needed.size());
    for (std::uint64_t offset : needed) out.needed.push_back(string_at(offset, "DT_NEEDED"));
    for (std::uint64_t offset : filters) out.filters.push_back(string_at(offset, "DT_FILTER"));
    for (std::uint64_t offset : auxiliaries)
        out.auxiliaries.push_back(string_at(offset, "DT_AUXILIARY"));
    if (rpath) out.rpath = string_at(*rpath, "DT_RPATH");
    if (runpath) out.runpath = string_at(*runpath, "DT_RUNPATH");
    if (soname) out.soname = string_at(*soname, "DT_SONAME");
    return out;
}

}  // namespace

bool ElfFile::has_magic(std::span<const std::byte> bytes) {
    return bytes.size() >= SELFMAG && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

ElfFile ElfFile::parse(std::span<const std::byte> bytes, const std::string& name) {
    if (bytes.size() < EI_NIDENT) {
        if (!has_magic(bytes)) {
            throw FormatError(quote(name) + ": not an ELF file (" + std::to_string(bytes.size()) +
                              " bytes)");
        }
        throw FormatError(quote(name) + ": truncated ELF: e_ident past end of file");
    }
    if (!has_magic(bytes)) throw FormatError(quote(name) + ": not an ELF file (bad magic)");

    const auto cls = std::to_integer<std::uint8_t>(bytes[EI_CLASS]);
    const auto data = std::to_integer<std::uint8_t>(bytes[EI_DATA]);
    const auto version = std::to_integer<std::uint8_t>(bytes[EI_VERSION]);
    if (cls != ELFCLASS32 && cls != ELFCLASS64) {
        throw FormatError(quote(name) + ": invalid ELF class " + std::to_string(cls));
    }
    if (data != ELFDATA2LSB && data != ELFDATA2MSB) {
        throw FormatError(quote(name) + ": invalid ELF data encoding " + std::to_string(data));
    }
    if (version != EV_CURRENT) {
        throw FormatError(quote(name) + ": invalid ELF version " + std::to_string(version));
    }

    const ByteView view(bytes, data == ELFDATA2LSB ? std::endian::little : std::endian::big, name);
    ParsedElf parsed =
        cls == ELFCLASS64 ? parse_image<kElf64>(view) : parse_image<kElf32>(view);

    ElfFile elf;
    elf.identity_ =
        ElfIdentity{static_cast<ElfClass>(cls), static_cast<ElfData>(data), parsed.machine};
    elf.type_ = parsed.type;
    elf.interpreter_ = std::move(parsed.interpreter);
    elf.needed_ = std::move(parsed.needed);
    elf.filters_ = std::move(parsed.filters);
    elf.auxiliaries_ = std::move(parsed.auxiliaries);
    elf.flags_1_ = parsed.flags_1;
    elf.rpath_ = std::move(parsed.rpath);
    elf.runpath_ = std::move(parsed.runpath);
    elf.soname_ = std::move(parsed.soname);
    return elf;
}

bool ElfFile::nodeflib() const {
    return (flags_1_ & DF_1_NODEFLIB) != 0;
}

ElfFile ElfFile::load(const std::filesystem::path& path) {
    const FileBytes file(path);
    return parse(file.bytes(), path.native());
}

}  // namespace ocitools
