#include "closure/closure_cache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <set>
#include <thread>

#include "closure/observe.h"
#include "error.h"
#include "nix_test_support.h"
#include "test_support.h"

namespace ocitools {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::ScratchDir;
using testing::write_text;

// ---------------------------------------------------------------------------------------------
// Helpers

std::span<const std::byte> as_bytes(const std::string& s) {
    return std::as_bytes(std::span(s.data(), s.size()));
}

std::optional<CacheRecord> parse(const std::string& s) {
    return parse_cache_record(as_bytes(s));
}

// Every field, mtime included (PlanEntry::operator== leaves it out), so that EXPECT_EQ on
// vectors of these says which entry differs.
std::string describe(const PlanEntry& e) {
    return e.path + " " + to_string(e.kind) + " source=" + e.source + " target=" + e.link_target +
           " mode=" + std::to_string(e.mode) + " mtime=" + std::to_string(e.mtime.tv_sec) + "." +
           std::to_string(e.mtime.tv_nsec);
}

std::vector<std::string> describe(const Plan& plan) {
    std::vector<std::string> out;
    for (const auto& e : plan.entries()) out.push_back(describe(e));
    return out;
}

std::string describe(const Observation& o) {
    return o.path + (o.follow ? " stat" : " lstat") + (o.listed ? " listed" : "") +
           " error=" + std::to_string(o.error) + " dev=" + std::to_string(o.dev) +
           " ino=" + std::to_string(o.ino) + " mode=" + std::to_string(o.mode) +
           " uid=" + std::to_string(o.uid) + " gid=" + std::to_string(o.gid) +
           " size=" + std::to_string(o.size) + " mtime=" + std::to_string(o.mtime_sec) + "." +
           std::to_string(o.mtime_nsec);
}

void expect_same_record(const CacheRecord& a, const CacheRecord& b) {
    EXPECT_EQ(a.key, b.key);
    ASSERT_EQ(a.observations.size(), b.observations.size());
    for (size_t i = 0; i < a.observations.size(); ++i)
        EXPECT_EQ(describe(a.observations[i]), describe(b.observations[i]));
    EXPECT_EQ(a.closure.program, b.closure.program);
    EXPECT_EQ(a.closure.extra_path_dir, b.closure.extra_path_dir);
    EXPECT_EQ(a.closure.nix_references, b.closure.nix_references);
    EXPECT_EQ(a.closure.packages, b.closure.packages);
    EXPECT_EQ(describe(a.closure.plan), describe(b.closure.plan));
    EXPECT_EQ(a.messages, b.messages);
}

Observation found(std::string path, bool follow) {
    Observation o;
    o.path = std::move(path);
    o.follow = follow;
    o.dev = 0x801;
    o.ino = 0x1234'5678'9abc'def0ULL;
    o.mode = S_IFREG | 0755;
    o.uid = 1000;
    o.gid = 4294967294u;  // nogroup-like, the top of the range
    o.size = 35664;
    o.mtime_sec = 1663700000;
    o.mtime_nsec = 999'999'999;
    return o;
}

Observation failed(std::string path, bool follow, int error) {
    Observation o;
    o.path = std::move(path);
    o.follow = follow;
    o.error = error;
    return o;
}

// A record with something of every kind: observations that found a file and that failed,
// plan entries of every kind, warnings and notes.
CacheRecord sample_record() {
    CacheRecord r;
    static constexpr char key[] = "the key\0with a NUL and \xff";
    r.key = std::string(key, sizeof key - 1);
    r.observations = {found("/usr/bin/true", true), failed("/etc/ld.so.preload", false, ENOENT),
                      failed("/usr/bin/true/x", true, ENOTDIR), found("/usr/lib", true),
                      found("/before-1970", false)};
    r.observations[3].listed = true;
    r.observations[3].mode = S_IFDIR | 0755;
    r.observations.back().mtime_sec = -86400;  // negative times survive
    r.observations.back().size = 0;
    Closure& c = r.closure;
    c.program = "/usr/bin/true";
    c.extra_path_dir = "/opt/tool/bin";
    c.nix_references = NixReferences::Scan;
    c.packages = {"coreutils:amd64", "libc6:amd64"};
    c.plan.add({.path = "/bin",
                .kind = EntryKind::Symlink,
                .source = "/bin",
                .link_target = "usr/bin",
                .mode = 0777,
                .mtime = {1700000000, 1}});
    c.plan.add({.path = "/etc",
                .kind = EntryKind::Directory,
                .source = "/etc",
                .link_target = "",
                .mode = 01755,
                .mtime = {1700000001, 2}});
    c.plan.add({.path = "/nix/store/00000000000000000000000000000000-hello",
                .kind = EntryKind::StorePath,
                .source = "/nix/store/00000000000000000000000000000000-hello",
                .link_target = "",
                .mode = 0,
                .mtime = {}});
    c.plan.add({.path = "/usr/bin/true",
                .kind = EntryKind::File,
                .source = "/usr/bin/true",
                .link_target = "",
                .mode = 04755,
                .mtime = {1663700000, 999'999'999}});
    r.messages = {{true, "a warning"}, {false, "a note"}, {false, ""}, {true, "\n"}};
    return r;
}

// Overwrites the 8 bytes at `offset` (a length or a count) with `v`.
std::string with_u64_at(std::string bytes, size_t offset, std::uint64_t v) {
    std::memcpy(bytes.data() + offset, &v, sizeof v);
    return bytes;
}

// Where the observations' count is: after the magic, the format number and the key.
size_t observations_count_offset(const CacheRecord& r) {
    return std::strlen("ocitools closure cache\n") + 4 + 8 + r.key.size();
}

// ---------------------------------------------------------------------------------------------
// The format

TEST(CacheRecordFormat, RoundTrip) {
    const CacheRecord record = sample_record();
    const std::string bytes = serialize_cache_record(record);
    const auto parsed = parse(bytes);
    ASSERT_TRUE(parsed);
    expect_same_record(record, *parsed);
    EXPECT_EQ(serialize_cache_record(*parsed), bytes);
}

TEST(CacheRecordFormat, RoundTripEveryNixReferencesValue) {
    for (const std::optional<NixReferences> nix :
         {std::optional<NixReferences>(), std::optional(NixReferences::Auto),
          std::optional(NixReferences::Db), std::optional(NixReferences::Scan)}) {
        CacheRecord record = sample_record();
        record.closure.nix_references = nix;
        const auto parsed = parse(serialize_cache_record(record));
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->closure.nix_references, nix);
    }
}

TEST(CacheRecordFormat, RoundTripEmptyRecord) {
    const CacheRecord empty;
    const auto parsed = parse(serialize_cache_record(empty));
    ASSERT_TRUE(parsed);
    expect_same_record(empty, *parsed);
    EXPECT_FALSE(parsed->closure.nix_references);
}

TEST(CacheRecordFormat, EveryTruncationIsRejected) {
    for (const CacheRecord& record : {sample_record(), CacheRecord{}}) {
        const std::string bytes = serialize_cache_record(record);
        for (size_t n = 0; n < bytes.size(); ++n)
            EXPECT_FALSE(parse(bytes.substr(0, n)))
                << "the first " << n << " of " << bytes.size() << " bytes parsed";
    }
}

TEST(CacheRecordFormat, TrailingBytesAreRejected) {
    const std::string bytes = serialize_cache_record(sample_record());
    EXPECT_FALSE(parse(bytes + '\0'));
    EXPECT_FALSE(parse(bytes + bytes));
}

TEST(CacheRecordFormat, WrongMagicOrFormatIsRejected) {
    const std::string bytes = serialize_cache_record(sample_record());
    std::string magic = bytes;
    magic[0] = 'O';
    EXPECT_FALSE(parse(magic));
    std::string format = bytes;
    format[std::strlen("ocitools closure cache\n")] = 2;  // the format number, little-endian
    EXPECT_FALSE(parse(format));
}

TEST(CacheRecordFormat, BadKindAndFlagBytesAreRejected) {
    CacheRecord record;
    record.closure.plan.add({.path = "/only-entry",
                             .kind = EntryKind::File,
                             .source = "/only-entry",
                             .link_target = "",
                             .mode = 0644,
                             .mtime = {}});
    record.observations = {failed("/only-observation", false, ENOENT)};
    const std::string bytes = serialize_cache_record(record);
    ASSERT_TRUE(parse(bytes));

    // The kind byte follows the entry's path; the follow flag the observation's path.
    const size_t kind = bytes.find("/only-entry") + std::strlen("/only-entry");
    ASSERT_EQ(bytes[kind], static_cast<char>(EntryKind::File));
    for (int bad : {4, 5, 0x80, 0xff}) {
        std::string flipped = bytes;
        flipped[kind] = static_cast<char>(bad);
        EXPECT_FALSE(parse(flipped)) << "kind " << bad;
    }
    std::string directory = bytes;  // another valid kind is just that kind
    directory[kind] = static_cast<char>(EntryKind::Directory);
    const auto parsed = parse(directory);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->closure.plan.find("/only-entry")->kind, EntryKind::Directory);

    // The flags follow and listed.
    const size_t follow = bytes.find("/only-observation") + std::strlen("/only-observation");
    for (const size_t flag : {follow, follow + 1}) {
        ASSERT_EQ(bytes[flag], 0);
        std::string bad = bytes;
        bad[flag] = 1;
        EXPECT_TRUE(parse(bad));
        bad[flag] = 2;
        EXPECT_FALSE(parse(bad));
    }

    // The Nix references: a has-value flag and the value, then the packages (a count) and the
    // entries (a count, then the entry's path), after program and extra_path_dir (both empty:
    // two zero lengths).
    const size_t has_nix = kind - std::strlen("/only-entry") - 8 - 8 - 8 - 2;
    ASSERT_EQ(bytes.substr(has_nix - 16, 16), std::string(16, '\0'));
    std::string bad_flag = bytes;
    bad_flag[has_nix] = 2;
    EXPECT_FALSE(parse(bad_flag));
    std::string bad_value = bytes;
    bad_value[has_nix] = 1;
    bad_value[has_nix + 1] = 3;  // one past NixReferences::Scan
    EXPECT_FALSE(parse(bad_value));
    bad_value[has_nix + 1] = 2;
    ASSERT_TRUE(parse(bad_value));
    EXPECT_EQ(parse(bad_value)->closure.nix_references, NixReferences::Scan);
}

TEST(CacheRecordFormat, HugeCountsAndLengthsAreRejected) {
    const CacheRecord record = sample_record();
    const std::string bytes = serialize_cache_record(record);
    const size_t count = observations_count_offset(record);
    ASSERT_TRUE(parse(with_u64_at(bytes, count, record.observations.size())));
    for (std::uint64_t huge : {record.observations.size() + 1, std::uint64_t{1} << 32,
                               std::uint64_t{1} << 58, ~std::uint64_t{0}})
        EXPECT_FALSE(parse(with_u64_at(bytes, count, huge))) << huge;
    // The key's length, and the length of the first observation's path.
    const size_t key_length = count - 8 - record.key.size();
    const size_t path_length = count + 8;
    for (std::uint64_t huge : {std::uint64_t{1} << 32, ~std::uint64_t{0}, ~std::uint64_t{0} - 7}) {
        EXPECT_FALSE(parse(with_u64_at(bytes, key_length, huge))) << huge;
        EXPECT_FALSE(parse(with_u64_at(bytes, path_length, huge))) << huge;
    }
    // Every 8-byte window set to all ones: wherever a count or length is, nothing crashes.
    for (size_t at = 0; at + 8 <= bytes.size(); ++at) (void)parse(with_u64_at(bytes, at, ~0ULL));
}

TEST(CacheRecordFormat, ContradictingPlanEntriesAreRejected) {
    // Two entries whose paths differ in one byte; making them equal makes them contradict.
    CacheRecord record;
    record.closure.plan.add({.path = "/a/x",
                             .kind = EntryKind::File,
                             .source = "/a/x",
                             .link_target = "",
                             .mode = 0644,
                             .mtime = {}});
    record.closure.plan.add({.path = "/a/y",
                             .kind = EntryKind::Symlink,
                             .source = "/a/y",
                             .link_target = "x",
                             .mode = 0777,
                             .mtime = {}});
    const std::string bytes = serialize_cache_record(record);
    ASSERT_TRUE(parse(bytes));
    std::string same_path = bytes;
    same_path[same_path.find("/a/y") + 3] = 'x';  // the path, not the source
    EXPECT_FALSE(parse(same_path));

    // Identical duplicates are harmless, as they are in Plan::add.
    CacheRecord twice;
    twice.closure.plan.add({.path = "/a/x",
                            .kind = EntryKind::File,
                            .source = "/a/x",
                            .link_target = "",
                            .mode = 0644,
                            .mtime = {}});
    twice.closure.plan.add({.path = "/a/y",
                            .kind = EntryKind::File,
                            .source = "/a/x",
                            .link_target = "",
                            .mode = 0644,
                            .mtime = {}});
    std::string duplicate = serialize_cache_record(twice);
    duplicate[duplicate.find("/a/y") + 3] = 'x';
    const auto parsed = parse(duplicate);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->closure.plan.size(), 1u);
}

TEST(CacheRecordFormat, EntriesInsideAStorePathAreRejected) {
    const std::string store_path = "/nix/store/00000000000000000000000000000000-a";
    const std::string other = "/nix/store/00000000000000000000000000000000-b";
    for (const bool store_path_first : {true, false}) {
        // Sorted by path: "...-a" comes before "...-b/bin", and "...-a/bin" before "...-b".
        CacheRecord record;
        const std::string file = (store_path_first ? other : store_path) + "/bin";
        record.closure.plan.add({.path = store_path_first ? store_path : other,
                                 .kind = EntryKind::StorePath,
                                 .source = store_path_first ? store_path : other,
                                 .link_target = "",
                                 .mode = 0,
                                 .mtime = {}});
        record.closure.plan.add({.path = file,
                                 .kind = EntryKind::File,
                                 .source = "/bin/true",
                                 .link_target = "",
                                 .mode = 0755,
                                 .mtime = {}});
        std::string bytes = serialize_cache_record(record);
        ASSERT_TRUE(parse(bytes));
        // Rename "-b" to "-a" in the path of whichever entry has it (its first occurrence).
        bytes[bytes.find(other) + other.size() - 1] = 'a';
        EXPECT_FALSE(parse(bytes)) << (store_path_first ? "store path first" : "file first");
    }
}

// The fuzzer's seeds are records of the current format (regenerate them when it changes): all
// but the truncated one parse.
TEST(CacheRecordFormat, SeedCorpusIsOfThisFormat) {
    const fs::path corpus = fs::path(OCITOOLS_TEST_DATA) / ".." / "fuzz/corpus/closure_cache";
    for (const char* seed : {"every-kind", "empty-record", "bin-true"})
        EXPECT_TRUE(parse(read_text(corpus / seed))) << seed;
    EXPECT_FALSE(parse(read_text(corpus / "every-kind-truncated")));
}

// ---------------------------------------------------------------------------------------------
// Observations

TEST(Observation, SeesWhatStatSees) {
    ScratchDir dir;
    write_text(dir / "file", "12345");
    ASSERT_EQ(chmod((dir / "file").c_str(), 0640), 0);
    if (geteuid() == 0) {
        ASSERT_EQ(chown((dir / "file").c_str(), 1, 2), 0);  // so that uid != gid
    }
    struct stat st {};
    ASSERT_EQ(::stat((dir / "file").c_str(), &st), 0);
    const Observation o = Observation::of((dir / "file").string(), true);
    EXPECT_EQ(o.path, (dir / "file").string());
    EXPECT_TRUE(o.follow);
    EXPECT_EQ(o.error, 0);
    EXPECT_EQ(o.dev, st.st_dev);
    EXPECT_EQ(o.ino, st.st_ino);
    EXPECT_EQ(o.mode, static_cast<std::uint32_t>(S_IFREG | 0640));
    EXPECT_EQ(o.uid, st.st_uid);
    EXPECT_EQ(o.gid, st.st_gid);
    EXPECT_EQ(o.size, 5);
    EXPECT_EQ(o.mtime_sec, st.st_mtim.tv_sec);
    EXPECT_EQ(o.mtime_nsec, st.st_mtim.tv_nsec);
    EXPECT_TRUE(o.same_as(Observation::of(o.path, true)));
}

TEST(Observation, AChangedMtimeIsNoticed) {
    ScratchDir dir;
    write_text(dir / "file", "x");
    const Observation before = Observation::of((dir / "file").string(), false);
    const struct timespec times[2] = {{0, UTIME_OMIT}, {before.mtime_sec, before.mtime_nsec + 1}};
    ASSERT_EQ(utimensat(AT_FDCWD, (dir / "file").c_str(), times, 0), 0);
    const Observation after = Observation::of((dir / "file").string(), false);
    EXPECT_FALSE(before.same_as(after));
    EXPECT_EQ(after.ino, before.ino);
}

TEST(Observation, ARemovedFileIsNoticedAndAMissingOneStaysMissing) {
    ScratchDir dir;
    write_text(dir / "file", "x");
    const std::string path = (dir / "file").string();
    const Observation before = Observation::of(path, true);
    fs::remove(path);
    const Observation gone = Observation::of(path, true);
    EXPECT_EQ(gone.error, ENOENT);
    EXPECT_FALSE(before.same_as(gone));
    EXPECT_FALSE(gone.same_as(before));
    EXPECT_TRUE(gone.same_as(Observation::of(path, true)));
    EXPECT_TRUE(gone.same_as(Observation::of(path, false)));

    // Another error is another answer: ENOTDIR, beneath a file.
    write_text(dir / "file", "x");
    const Observation not_dir = Observation::of(path + "/below", false);
    EXPECT_EQ(not_dir.error, ENOTDIR);
    EXPECT_FALSE(gone.same_as(not_dir));
    // And it comes back: the file appearing is noticed too.
    EXPECT_FALSE(gone.same_as(Observation::of(path, true)));
}

TEST(Observation, LstatSeesTheSymlinkAndStatItsTarget) {
    ScratchDir dir;
    write_text(dir / "target", "content");
    fs::create_symlink("target", dir / "link");
    fs::create_symlink("nowhere", dir / "dangling");
    const Observation link = Observation::of((dir / "link").string(), false);
    const Observation target = Observation::of((dir / "link").string(), true);
    EXPECT_TRUE(S_ISLNK(link.mode));
    EXPECT_EQ(link.size, 6);  // strlen("target")
    EXPECT_TRUE(S_ISREG(target.mode));
    EXPECT_EQ(target.size, 7);
    EXPECT_EQ(target.ino, Observation::of((dir / "target").string(), false).ino);
    EXPECT_FALSE(link.same_as(target));

    EXPECT_EQ(Observation::of((dir / "dangling").string(), false).error, 0);
    EXPECT_EQ(Observation::of((dir / "dangling").string(), true).error, ENOENT);
}

TEST(Observation, ADirectoryLookedUpIsTheSameWhileItsNamesChange) {
    ScratchDir dir;
    fs::create_directory(dir / "d");
    const std::string path = (dir / "d").string();
    const Observation looked_up = Observation::of(path, false);
    const Observation listed = Observation::of(path, true, /*listed=*/true);
    EXPECT_TRUE(looked_up.looked_up_directory());
    EXPECT_FALSE(listed.looked_up_directory());
    write_text(dir / "d/new", "x");
    const struct timespec later[2] = {{0, UTIME_OMIT}, {looked_up.mtime_sec + 10, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), later, 0), 0);
    EXPECT_TRUE(looked_up.same_as(Observation::of(path, false)));
    EXPECT_FALSE(listed.same_as(Observation::of(path, true, true)));
    // Its mode is still compared; and a file is no directory.
    ASSERT_EQ(chmod(path.c_str(), 0700), 0);
    EXPECT_FALSE(looked_up.same_as(Observation::of(path, false)));
    const Observation file = Observation::of((dir / "d/new").string(), false);
    EXPECT_FALSE(file.looked_up_directory());
}

// ---------------------------------------------------------------------------------------------
// cached_closure

// Messages as the reporter got them: (is a warning, text).
struct Messages {
    std::vector<std::pair<bool, std::string>> got;
    Reporter reporter() {
        return Reporter([this](const std::string& m) { got.emplace_back(true, m); },
                        [this](const std::string& m) { got.emplace_back(false, m); });
    }
};

// The host files of these closures. The cache stores nothing of which a path changed (ctime)
// within the last second, so a test making its files waits that second out. These files are
// made once and kept, so that only the first run waits. They are scripts whose interpreter is a
// plain file: the host's libraries would not do, their ctime changes whenever a test running at
// the same time (ctest -j) hard-links them into a rootfs.
struct StaticFiles {
    fs::path dir = fs::temp_directory_path() /
                   ("ocitools-closure-cache-test-" + std::to_string(geteuid())) / "static";
    fs::path interpreter = dir / "interpreter";
    fs::path script = dir / "script";
    fs::path other_script = dir / "other-script";
    fs::path tree = dir / "tree";  // with a dangling symlink, whose closure brings a warning

    StaticFiles() {
        write_once(interpreter, "echo this interpreter is not ELF\n", 0755);
        write_once(script, "#!" + interpreter.string() + "\n", 0755);
        write_once(other_script, "#!" + interpreter.string() + " -x\n", 0755);
        write_once(tree / "file", "a file\n", 0644);
        std::error_code ec;
        fs::create_symlink("nowhere", tree / "dangling", ec);
    }

    // Writes `text` to `path` with `mode`, unless it holds that already; atomically, as other
    // test processes may be reading it.
    static void write_once(const fs::path& path, const std::string& text, mode_t mode) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 07777) == mode &&
            read_text(path) == text)
            return;
        const fs::path temp = path.string() + ".tmp-" + std::to_string(getpid());
        write_text(temp, text);
        if (chmod(temp.c_str(), mode) != 0) std::abort();
        fs::rename(temp, path);
    }
};

const StaticFiles& static_files() {
    static const StaticFiles files;
    return files;
}

struct timespec mtime_of(const fs::path& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) std::abort();
    return st.st_mtim;
}

void set_mtime(const fs::path& path, struct timespec mtime) {
    const struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
    ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// "<path> <field>" for each field of the record's observations that the kernel now answers
// differently.
std::set<std::string> differences(const CacheRecord& record) {
    std::set<std::string> out;
    for (const auto& o : record.observations) {
        const Observation now = Observation::of(o.path, o.follow, o.listed);
        const auto differ = [&](const char* field, bool same) {
            if (!same) out.insert(o.path + " " + field);
        };
        differ("error", o.error == now.error);
        if (o.error != 0 || now.error != 0) continue;
        differ("dev", o.dev == now.dev);
        differ("ino", o.ino == now.ino);
        differ("mode", o.mode == now.mode);
        differ("uid", o.uid == now.uid);
        differ("gid", o.gid == now.gid);
        if (o.looked_up_directory()) continue;  // only its identity counts
        differ("size", o.size == now.size);
        differ("mtime", o.mtime_sec == now.mtime_sec && o.mtime_nsec == now.mtime_nsec);
    }
    return out;
}

// Everything with a ctime up to now counts as old for the cache after this.
void wait_out_the_fresh_second() {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
}

// Not stored for a change less than a second old, or one made while the walk ran (another test
// making its scratch directory in /tmp, which every closure here passes through).
bool changed_too_recently(const CachedClosure& c) {
    return c.outcome == CacheOutcome::NotStored &&
           (c.detail.find("changed less than a second ago") != std::string::npos ||
            c.detail.find("changed while the closure was computed") != std::string::npos);
}

ContainerSpec spec_of(std::vector<std::string> args, std::vector<std::string> include = {}) {
    ContainerSpec spec;
    spec.args = std::move(args);
    spec.include = std::move(include);
    return spec;
}

class CachedClosureTest : public ::testing::Test {
  protected:
    CachedClosure run(const ContainerSpec& spec) {
        messages.got.clear();
        return cached_closure(spec, "/usr/bin:/bin", messages.reporter(), options, cache_dir);
    }
    // run(), for a closure of files that are old; should one have changed within the last
    // second all the same (the static files' first run; another test hard-linking the host's
    // libc), this waits and tries again.
    CachedClosure store(const ContainerSpec& spec) {
        CachedClosure result = run(spec);
        for (int i = 0; i < 5 && changed_too_recently(result); ++i) {
            wait_out_the_fresh_second();
            result = run(spec);
        }
        return result;
    }
    // run(), again at once should something have changed while the walk ran (another test's
    // scratch directory made in /tmp): for a closure that must be stored now, not a second later.
    CachedClosure store_now(const ContainerSpec& spec) {
        CachedClosure result = run(spec);
        for (int i = 0; i < 5 && result.detail.find("changed while the closure was computed") !=
                                     std::string::npos;
             ++i)
            result = run(spec);
        return result;
    }
    // A directory argument brings a note, and the tree's dangling symlink a warning.
    ContainerSpec spec_with_a_note_and_a_warning() const {
        return spec_of({files.script.string(), files.dir.string()}, {files.tree.string()});
    }
    // The closure computed, never through the cache.
    Closure fresh(const ContainerSpec& spec) {
        Messages ignored;
        return compute_closure(spec, "/usr/bin:/bin", ignored.reporter(), options);
    }

    ScratchDir scratch;  // for the cache only: no closure below looks at it
    const fs::path cache_dir = scratch / "ocitools";
    const ClosureOptions options{};
    Messages messages;
    const StaticFiles& files = static_files();
};

TEST_F(CachedClosureTest, HostProgramIsStoredThenAHit) {
    const ContainerSpec spec = spec_of({"/bin/true"});
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    EXPECT_TRUE(first.closure.plan.contains("/usr/bin/true"));
    EXPECT_EQ(describe(first.closure.plan), describe(fresh(spec).plan));
    const CachedClosure second = run(spec);
    EXPECT_EQ(second.outcome, CacheOutcome::Hit) << second.detail;
    EXPECT_EQ(describe(second.closure.plan), describe(first.closure.plan));
    EXPECT_EQ(second.closure.program, "/bin/true");
}

TEST_F(CachedClosureTest, StoredThenHitWithTheSamePlanAndMessages) {
    // A directory argument brings a note, and the tree's dangling symlink a warning: a hit must
    // give both again, in order.
    const ContainerSpec spec = spec_with_a_note_and_a_warning();
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    const auto first_messages = messages.got;
    ASSERT_EQ(first_messages.size(), 2u);
    EXPECT_FALSE(first_messages[0].first);
    EXPECT_NE(first_messages[0].second.find("not including directory"), std::string::npos);
    EXPECT_TRUE(first_messages[1].first);
    EXPECT_NE(first_messages[1].second.find("dangling symlink"), std::string::npos);
    EXPECT_TRUE(fs::is_regular_file(first.detail)) << first.detail;
    EXPECT_EQ(fs::path(first.detail).parent_path(), cache_dir / "closures");
    EXPECT_EQ(describe(first.closure.plan), describe(fresh(spec).plan));
    EXPECT_TRUE(first.closure.plan.contains(files.interpreter.string()));
    EXPECT_TRUE(first.closure.plan.contains((files.tree / "dangling").string()));

    const CachedClosure second = run(spec);
    EXPECT_EQ(second.outcome, CacheOutcome::Hit) << second.detail;
    EXPECT_TRUE(second.detail.starts_with(first.detail)) << second.detail;  // the file
    EXPECT_EQ(describe(second.closure.plan), describe(first.closure.plan));
    EXPECT_EQ(second.closure.program, files.script.string());
    EXPECT_EQ(second.closure.extra_path_dir, first.closure.extra_path_dir);
    EXPECT_EQ(second.closure.nix_references, first.closure.nix_references);
    EXPECT_EQ(second.closure.packages, first.closure.packages);
    EXPECT_EQ(messages.got, first_messages);

    // The file is a well-formed record of that closure, private to us.
    const auto record = parse(read_text(first.detail));
    ASSERT_TRUE(record);
    EXPECT_EQ(describe(record->closure.plan), describe(first.closure.plan));
    EXPECT_EQ(record->messages, first_messages);
    EXPECT_TRUE(differences(*record).empty());
    struct stat st {};
    ASSERT_EQ(stat(first.detail.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ASSERT_EQ(stat(cache_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// CacheUse::LeaveFilesToWriter: a hit whose plan files are left to the writer's check, with the
// closure's messages held for the caller; every other path is checked as before.
TEST_F(CachedClosureTest, AHitCanLeaveThePlansFilesToTheWriter) {
    const ContainerSpec spec = spec_with_a_note_and_a_warning();
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    const auto first_messages = messages.got;
    ASSERT_EQ(first_messages.size(), 2u);
    const auto record = parse(read_text(first.detail));
    ASSERT_TRUE(record);

    messages.got.clear();
    CachedClosure hit = cached_closure(spec, "/usr/bin:/bin", messages.reporter(), options,
                                       cache_dir, CacheUse::LeaveFilesToWriter);
    ASSERT_EQ(hit.outcome, CacheOutcome::Hit) << hit.detail;
    EXPECT_EQ(describe(hit.closure.plan), describe(first.closure.plan));
    EXPECT_TRUE(messages.got.empty());  // held, not reported
    EXPECT_EQ(hit.held_messages, first_messages);
    // The files left: each plan File entry, lstat(2) of whose source the walk recorded.
    size_t files_in_plan = 0;
    for (const PlanEntry* e : hit.closure.plan.sorted()) {
        struct stat st {};
        ASSERT_EQ(lstat(e->source.c_str(), &st), 0) << e->source;
        EXPECT_TRUE(hit.unchecked.still_true(*e, &st)) << e->path;
        if (e->kind != EntryKind::File) {
            EXPECT_TRUE(hit.unchecked.still_true(*e, nullptr)) << e->path << ": not left";
            continue;
        }
        ++files_in_plan;
        EXPECT_FALSE(hit.unchecked.still_true(*e, nullptr)) << e->path;  // gone, or a symlink
        struct stat other = st;
        ++other.st_mtim.tv_nsec;
        EXPECT_FALSE(hit.unchecked.still_true(*e, &other)) << e->path << ": mtime";
        other = st;
        ++other.st_ino;
        EXPECT_FALSE(hit.unchecked.still_true(*e, &other)) << e->path << ": inode";
        other = st;
        other.st_size += 1;
        EXPECT_FALSE(hit.unchecked.still_true(*e, &other)) << e->path << ": size";
        other = st;
        other.st_mode ^= 0100;
        EXPECT_FALSE(hit.unchecked.still_true(*e, &other)) << e->path << ": mode";
        other = st;
        other.st_mode = S_IFLNK | 0777;
        EXPECT_FALSE(hit.unchecked.still_true(*e, &other)) << e->path << ": a symlink now";
    }
    EXPECT_GE(files_in_plan, 3u);  // the script, its interpreter, the tree's file
    EXPECT_EQ(hit.unchecked.size(), files_in_plan);
    EXPECT_NE(hit.detail.find(std::to_string(files_in_plan) + " files left to the writer"),
              std::string::npos)
        << hit.detail;
    // An entry of another plan is none of them.
    const PlanEntry stranger = *first.closure.plan.find(files.script.string());
    EXPECT_TRUE(hit.unchecked.still_true(stranger, nullptr));

    hit.report_held(messages.reporter());
    EXPECT_EQ(messages.got, first_messages);
    EXPECT_TRUE(hit.held_messages.empty());

    // A plain Check hit still reports at once and leaves nothing.
    messages.got.clear();
    const CachedClosure checked = run(spec);
    ASSERT_EQ(checked.outcome, CacheOutcome::Hit) << checked.detail;
    EXPECT_EQ(checked.unchecked.size(), 0u);
    EXPECT_EQ(messages.got, first_messages);
}

TEST_F(CachedClosureTest, LeavingFilesToTheWriterStillChecksEverythingElse) {
    ScratchDir dir;
    write_text(dir / "tree/a", "a");
    wait_out_the_fresh_second();
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "tree").string()});
    ASSERT_EQ(store(spec).outcome, CacheOutcome::Stored);
    write_text(dir / "tree/b", "b");  // the listed directory changes
    const CachedClosure next = cached_closure(spec, "/usr/bin:/bin", messages.reporter(),
                                              options, cache_dir, CacheUse::LeaveFilesToWriter);
    EXPECT_NE(next.outcome, CacheOutcome::Hit) << next.detail;
    EXPECT_TRUE(next.closure.plan.contains((dir / "tree/b").string()));
    EXPECT_EQ(next.missed, (dir / "tree").string() + " changed") << next.detail;
}

TEST_F(CachedClosureTest, RefreshComputesAfreshAndStores) {
    const ContainerSpec spec = spec_of({files.script.string()});
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    // A record whose closure is wrong, but whose paths all still answer the same: only a
    // request that does not read it gets the true closure.
    auto record = parse(read_text(first.detail));
    ASSERT_TRUE(record);
    record->closure.extra_path_dir = "/a/wrong/dir";
    write_text(first.detail, serialize_cache_record(*record));
    ASSERT_EQ(chmod(first.detail.c_str(), 0600), 0);
    EXPECT_EQ(run(spec).closure.extra_path_dir, "/a/wrong/dir");  // (control) it is read
    CachedClosure refreshed = cached_closure(spec, "/usr/bin:/bin", messages.reporter(), options,
                                             cache_dir, CacheUse::Refresh);
    for (int i = 0; i < 5 && changed_too_recently(refreshed); ++i) {
        wait_out_the_fresh_second();
        refreshed = cached_closure(spec, "/usr/bin:/bin", messages.reporter(), options, cache_dir,
                                   CacheUse::Refresh);
    }
    EXPECT_EQ(refreshed.outcome, CacheOutcome::Stored) << refreshed.detail;
    EXPECT_EQ(refreshed.closure.extra_path_dir, first.closure.extra_path_dir);
    EXPECT_EQ(run(spec).closure.extra_path_dir, first.closure.extra_path_dir);  // replaced
}

TEST_F(CachedClosureTest, AnotherRequestIsAnotherRecord) {
    const ContainerSpec a = spec_of({files.script.string()});
    const ContainerSpec b = spec_of({files.script.string(), "an argument"});
    const CachedClosure stored_a = store(a);
    const CachedClosure stored_b = store(b);
    ASSERT_EQ(stored_a.outcome, CacheOutcome::Stored) << stored_a.detail;
    ASSERT_EQ(stored_b.outcome, CacheOutcome::Stored) << stored_b.detail;
    EXPECT_NE(stored_a.detail, stored_b.detail);
    EXPECT_EQ(run(a).outcome, CacheOutcome::Hit);
    EXPECT_EQ(run(b).outcome, CacheOutcome::Hit);
}

TEST_F(CachedClosureTest, NoCacheDirectoryIsOff) {
    const ContainerSpec spec = spec_of({files.script.string()});
    for (int i = 0; i < 2; ++i) {
        const CachedClosure result =
            cached_closure(spec, "/usr/bin:/bin", messages.reporter(), options, fs::path());
        EXPECT_EQ(result.outcome, CacheOutcome::Off);
        EXPECT_TRUE(result.detail.starts_with("no cache directory")) << result.detail;
        EXPECT_EQ(describe(result.closure.plan), describe(fresh(spec).plan));
    }
}

TEST_F(CachedClosureTest, ACacheOthersCanWriteIsNotTrusted) {
    const ContainerSpec spec = spec_of({files.script.string()});
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;

    for (const fs::path& dir : {cache_dir, cache_dir / "closures"}) {
        SCOPED_TRACE(dir);
        ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
        const CachedClosure open_to_all = run(spec);
        EXPECT_EQ(open_to_all.outcome, CacheOutcome::NotStored);
        EXPECT_NE(open_to_all.detail.find("not private to us"), std::string::npos)
            << open_to_all.detail;
        EXPECT_EQ(describe(open_to_all.closure.plan), describe(first.closure.plan));
        ASSERT_EQ(chmod(dir.c_str(), 0700), 0);
        EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);  // the record itself was fine
    }

    // A record others can write is not read; the next one stored replaces it.
    ASSERT_EQ(chmod(first.detail.c_str(), 0666), 0);
    EXPECT_EQ(run(spec).outcome, CacheOutcome::Stored);
    EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);
}

TEST_F(CachedClosureTest, ADamagedRecordIsReplaced) {
    const ContainerSpec spec = spec_of({files.script.string()});
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    const std::string good = read_text(first.detail);
    for (const std::string& bad :
         {good.substr(0, good.size() / 2), std::string("garbage"), good + "x", std::string()}) {
        write_text(first.detail, bad);
        const CachedClosure again = run(spec);
        EXPECT_EQ(again.outcome, CacheOutcome::Stored) << again.detail;
        EXPECT_EQ(describe(again.closure.plan), describe(first.closure.plan));
        EXPECT_EQ(read_text(first.detail), good);
        EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);
    }
}

TEST_F(CachedClosureTest, ARecordOfAnotherRequestIsNotUsed) {
    // The file name is only a hash of the request: a record under another request's name.
    const ContainerSpec a = spec_of({files.script.string()});
    const ContainerSpec b = spec_of({files.other_script.string()});
    const CachedClosure stored_a = store(a);
    const CachedClosure stored_b = store(b);
    ASSERT_EQ(stored_a.outcome, CacheOutcome::Stored) << stored_a.detail;
    ASSERT_EQ(stored_b.outcome, CacheOutcome::Stored) << stored_b.detail;
    fs::copy_file(stored_b.detail, stored_a.detail, fs::copy_options::overwrite_existing);
    const CachedClosure again = run(a);
    EXPECT_EQ(again.outcome, CacheOutcome::Stored) << again.detail;
    EXPECT_EQ(again.closure.program, files.script.string());
    EXPECT_EQ(describe(again.closure.plan), describe(stored_a.closure.plan));
}

// Nothing is stored of a closure holding Nix store paths (the database and the store scans are
// not recorded), nor of one that failed.
TEST_F(CachedClosureTest, NixStorePathsAndFailuresAreNotStored) {
    const testing::FakeStore store;
    const std::string data = store.path(1, "data");
    write_text(data, "data\n");
    ClosureOptions nix = options;
    nix.store_dir = store.store_dir();
    nix.state_dir = store.state_dir();
    nix.nix_references = NixReferences::Scan;
    // A store path named in an argument is a store root.
    const ContainerSpec spec = spec_of({files.script.string(), "--data=" + data});
    for (int i = 0; i < 2; ++i) {
        const CachedClosure result =
            cached_closure(spec, "/usr/bin:/bin", messages.reporter(), nix, cache_dir);
        EXPECT_EQ(result.outcome, CacheOutcome::NotStored);
        EXPECT_EQ(result.detail, "the closure holds Nix store paths");
        ASSERT_TRUE(result.closure.plan.find(data));
        EXPECT_EQ(result.closure.plan.find(data)->kind, EntryKind::StorePath);
        EXPECT_EQ(result.closure.nix_references, NixReferences::Scan);
    }
    EXPECT_THROW(run(spec_of({files.script.string()}, {(files.dir / "missing").string()})), Error);
    std::error_code ec;
    EXPECT_TRUE(fs::is_empty(cache_dir / "closures", ec) || !fs::exists(cache_dir));
}

TEST_F(CachedClosureTest, WhatChangedWithinTheLastSecondIsNotStored) {
    ScratchDir dir;
    write_text(dir / "data", "data\n");
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "data").string()});
    const CachedClosure first = run(spec);
    EXPECT_TRUE(changed_too_recently(first)) << first.detail;
    EXPECT_TRUE(first.closure.plan.contains((dir / "data").string()));
    EXPECT_TRUE(changed_too_recently(run(spec)));

    wait_out_the_fresh_second();
    const CachedClosure later = store(spec);
    EXPECT_EQ(later.outcome, CacheOutcome::Stored) << later.detail;
    EXPECT_EQ(describe(later.closure.plan), describe(first.closure.plan));
    EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);
}

// A name added to a directory on the way to an --include path (a file made in /tmp) keeps the
// closure: that directory was only looked up, and only its identity counts.
// A directory renamed into place while a closure is computed (a deploy's `mv app.new app`)
// holds other files than the walk read: its first look (observe::Recording) is not what it is
// after the walk, so the closure is not stored (why_not_stored, tested above; found in review:
// looked-up directories were once exempt). Renamed into place before the walk, it is what the
// walk read: stored, though its ctime and its parent's are new.
TEST_F(CachedClosureTest, ADirectoryRenamedIntoPlaceBeforeTheWalkIsStored) {
    ScratchDir dir;
    write_text(dir / "new/data", "data\n");
    set_mtime(dir / "new/data", {1'000'000'000, 0});
    fs::rename(dir / "new", dir / "app");
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "app/data").string()});
    const CachedClosure first = store_now(spec);
    EXPECT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);
}

// A file hard-linked just before (as a --link build does to libc) keeps its content and mtime:
// its new ctime does not keep its closure from being stored.
TEST_F(CachedClosureTest, AFileHardLinkedJustBeforeIsStored) {
    ScratchDir dir;
    write_text(dir / "data", "data\n");
    set_mtime(dir / "data", {1'000'000'000, 0});
    set_mtime(dir.path(), {1'000'000'000, 0});
    ASSERT_EQ(link((dir / "data").c_str(), (dir / "link").c_str()), 0);
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "data").string()});
    const CachedClosure first = store_now(spec);
    EXPECT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
    EXPECT_EQ(run(spec).outcome, CacheOutcome::Hit);
}

// Every directory above a path asked about is recorded too, looked up.
TEST(ObserveRecording, RecordsTheDirectoriesOnTheWay) {
    observe::Recording recording;
    observe::stat("/a/b/c");
    observe::listing("/a/d");
    const auto paths = recording.take();
    using observe::Asked;
    std::set<std::pair<std::string, Asked>> keys;
    for (const auto& [key, look] : paths) {
        keys.insert(key);
        EXPECT_EQ(look.path, key.first);
        EXPECT_EQ(look.follow, key.second != Asked::Lstat);
        EXPECT_EQ(look.listed, key.second == Asked::Listing);
        EXPECT_EQ(look.error, ENOENT) << key.first;
    }
    const std::set<std::pair<std::string, Asked>> expected{
        {"/a", Asked::Lstat}, {"/a/b", Asked::Lstat}, {"/a/b/c", Asked::Stat},
        {"/a/d", Asked::Listing}};
    EXPECT_EQ(keys, expected);
}

// A path is looked at when it is first asked about, not again: what the walk saw then.
TEST(ObserveRecording, KeepsThePathAsFirstAskedAbout) {
    ScratchDir dir;
    const fs::path file = dir / "file";
    write_text(file, "one");
    observe::Recording recording;
    observe::lstat(file.string());
    const Observation first = Observation::of(file.string(), false);
    ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    observe::lstat(file.string());
    observe::stat(file.string());
    const auto paths = recording.take();
    const Observation& look = paths.at({file.string(), observe::Asked::Lstat});
    EXPECT_TRUE(look.unchanged_to(first));
    EXPECT_EQ(look.mode & 07777, first.mode & 07777);
    const Observation& stat_look = paths.at({file.string(), observe::Asked::Stat});
    EXPECT_EQ(stat_look.mode & 07777, 0600u);  // the stat(2) came after the chmod
    EXPECT_TRUE(paths.count({dir.path().string(), observe::Asked::Lstat}));
}

// The rule for storing: nothing changed while the walk ran (ctime included), and no content or
// names changed within the last second (mtime); a ctime moved before the walk (a hard link)
// is no reason.
TEST(ClosureCacheStoring, WhyAClosureIsNotStored) {
    ScratchDir dir;
    const fs::path file = dir / "file";
    write_text(file, "data");
    write_text(dir / "sub/x", "x");
    set_mtime(file, {1'000'000'000, 0});
    set_mtime(dir / "sub", {1'000'000'000, 0});
    const std::int64_t now_ns = [] {
        struct timespec t {};
        clock_gettime(CLOCK_REALTIME, &t);
        return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
    }();
    const std::int64_t too_new = now_ns - 1'000'000'000;

    // Old content, but a ctime of now (a hard link made just before): stored.
    ASSERT_EQ(link(file.c_str(), (dir / "hardlink").c_str()), 0);
    const Observation linked = Observation::of(file.string(), false);
    EXPECT_GE(linked.ctime_sec, too_new / 1'000'000'000);
    EXPECT_EQ(why_not_stored(linked, Observation::of(file.string(), false), too_new), "");

    // Changed while the walk ran: the mode (ctime moves too).
    const Observation before = Observation::of(file.string(), false);
    ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    EXPECT_EQ(why_not_stored(before, Observation::of(file.string(), false), too_new),
              file.string() + " changed while the closure was computed");
    // Replaced by another file, same size and mtime.
    write_text(dir / "new", "DATA");
    set_mtime(dir / "new", {1'000'000'000, 0});
    const Observation before_rename = Observation::of(file.string(), false);
    fs::rename(dir / "new", file);
    EXPECT_EQ(why_not_stored(before_rename, Observation::of(file.string(), false), too_new),
              file.string() + " changed while the closure was computed");
    // Gone, or appeared.
    const Observation there = Observation::of(file.string(), false);
    fs::remove(file);
    const Observation gone = Observation::of(file.string(), false);
    EXPECT_NE(why_not_stored(there, gone, too_new), "");
    EXPECT_EQ(why_not_stored(gone, gone, too_new), "");

    // Content changed less than a second ago, unchanged during the walk: the racy clock tick.
    write_text(file, "fresh");
    const Observation fresh = Observation::of(file.string(), false);
    EXPECT_EQ(why_not_stored(fresh, fresh, too_new),
              file.string() + " changed less than a second ago");
    // A listed directory whose names just changed, likewise; looked up only, it counts not.
    write_text(dir / "sub/y", "y");
    const Observation listed = Observation::of((dir / "sub").string(), true, true);
    EXPECT_EQ(why_not_stored(listed, listed, too_new),
              (dir / "sub").string() + " changed less than a second ago");
    const Observation looked_up = Observation::of((dir / "sub").string(), false);
    EXPECT_EQ(why_not_stored(looked_up, looked_up, too_new), "");
    // But a looked-up directory replaced while the walk ran is another directory.
    fs::rename(dir / "sub", dir / "old");
    fs::create_directory(dir / "sub");
    EXPECT_EQ(why_not_stored(looked_up, Observation::of((dir / "sub").string(), false), too_new),
              (dir / "sub").string() + " changed while the closure was computed");
}

TEST_F(CachedClosureTest, ANameAddedToADirectoryOnTheWayIsAHit) {
    ScratchDir dir;
    write_text(dir / "sub/data", "data\n");
    wait_out_the_fresh_second();
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "sub/data").string()});
    const CachedClosure first = store(spec);
    ASSERT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;

    write_text(dir / "sub/other", "other\n");
    set_mtime(dir / "sub", {1'000'000'000, 7});
    const CachedClosure second = run(spec);
    EXPECT_EQ(second.outcome, CacheOutcome::Hit) << second.detail;
    EXPECT_EQ(describe(second.closure.plan), describe(fresh(spec).plan));

    // But a directory replaced by another is another directory, even holding the same file.
    fs::rename(dir / "sub", dir / "old");
    fs::create_directory(dir / "sub");
    fs::rename(dir / "old/data", dir / "sub/data");
    const auto record = parse(read_text(first.detail));
    ASSERT_TRUE(record);
    EXPECT_EQ(differences(*record), std::set<std::string>{(dir / "sub").string() + " ino"});
    const CachedClosure third = run(spec);
    EXPECT_NE(third.outcome, CacheOutcome::Hit) << third.detail;
    EXPECT_EQ(describe(third.closure.plan), describe(fresh(spec).plan));
}

// Each change to an --include path made after its closure was stored: the next request is not
// a hit, and gets the closure of what is there now. (A file rewritten in place with its size and
// mtime put back is not noticed: that is documented, like make's trust in mtimes.)
TEST_F(CachedClosureTest, ChangesToIncludedPathsAreNoticed) {
    ScratchDir dir;
    // One directory per case, so that one case's changes are not another's; scripts whose
    // interpreters are plain files: i1 and i2, of the same length, and i22.
    for (const char* name : {"mtime", "size", "inode", "mode"}) {
        for (const char* interpreter : {"i1", "i2", "i22"})
            write_text(dir / name / interpreter, "echo\n");
        write_text(dir / name / "script", "#!" + (dir / name / "i1").string() + "\n");
    }
    write_text(dir / "tree/a", "a");
    wait_out_the_fresh_second();

    // Stores the closure of including `path`, checks it is a hit, makes `change`, checks that
    // the stored observations now differ in `field` of `path` only, and returns what the next
    // request gets.
    auto after = [&](const fs::path& path, const std::function<void()>& change,
                     const std::string& field) {
        const ContainerSpec spec = spec_of({files.script.string()}, {path.string()});
        const CachedClosure first = store(spec);
        EXPECT_EQ(first.outcome, CacheOutcome::Stored) << first.detail;
        const CachedClosure hit = run(spec);
        EXPECT_EQ(hit.outcome, CacheOutcome::Hit) << hit.detail;
        EXPECT_EQ(describe(hit.closure.plan), describe(first.closure.plan));
        change();
        const auto record = parse(read_text(first.detail));
        EXPECT_TRUE(record);
        if (record) {
            EXPECT_EQ(differences(*record), std::set<std::string>{path.string() + " " + field});
        }
        CachedClosure next = run(spec);
        EXPECT_NE(next.outcome, CacheOutcome::Hit) << path;
        EXPECT_EQ(describe(next.closure.plan), describe(fresh(spec).plan));
        return next;
    };

    {
        const fs::path script = dir / "mtime/script";
        const struct timespec new_mtime = {1'000'000'000, 5};
        const CachedClosure next = after(
            script, [&] { set_mtime(script, new_mtime); }, "mtime");
        const PlanEntry* entry = next.closure.plan.find(script.string());
        ASSERT_TRUE(entry);
        EXPECT_EQ(entry->mtime.tv_sec, new_mtime.tv_sec);
        EXPECT_EQ(entry->mtime.tv_nsec, new_mtime.tv_nsec);
    }
    {
        // A longer file, its mtime put back: only the size tells.
        const fs::path script = dir / "size/script";
        const CachedClosure next = after(
            script,
            [&] {
                const struct timespec old = mtime_of(script);
                write_text(script, "#!" + (dir / "size/i22").string() + "\n");
                set_mtime(script, old);
            },
            "size");
        EXPECT_TRUE(next.closure.plan.contains((dir / "size/i22").string()));
        EXPECT_FALSE(next.closure.plan.contains((dir / "size/i1").string()));
    }
    {
        // Another file of the same size and mtime renamed over it, its directory's mtime put
        // back: only the inode number tells.
        const fs::path script = dir / "inode/script";
        const CachedClosure next = after(
            script,
            [&] {
                const struct timespec old = mtime_of(script);
                const struct timespec old_dir = mtime_of(script.parent_path());
                write_text(dir / "inode/new", "#!" + (dir / "inode/i2").string() + "\n");
                set_mtime(dir / "inode/new", old);
                fs::rename(dir / "inode/new", script);
                set_mtime(script.parent_path(), old_dir);
            },
            "ino");
        EXPECT_TRUE(next.closure.plan.contains((dir / "inode/i2").string()));
        EXPECT_FALSE(next.closure.plan.contains((dir / "inode/i1").string()));
    }
    {
        const fs::path script = dir / "mode/script";
        const CachedClosure next = after(
            script, [&] { ASSERT_EQ(chmod(script.c_str(), 0750), 0); }, "mode");
        ASSERT_TRUE(next.closure.plan.find(script.string()));
        EXPECT_EQ(next.closure.plan.find(script.string())->mode, 0750u);
    }
    {
        // A file added to an included directory: its mtime tells.
        const fs::path tree = dir / "tree";
        const CachedClosure next = after(
            tree, [&] { write_text(tree / "b", "b"); }, "mtime");
        EXPECT_TRUE(next.closure.plan.contains((tree / "b").string()));
    }
}

// A request while another recording lives (another thread's request: one records at a time)
// recorded nothing of its own: storing that would make every later request a hit, whatever
// changed.
TEST_F(CachedClosureTest, ARequestDuringAnotherRecordingIsNotStored) {
    ScratchDir dir;
    write_text(dir / "data", "data\n");
    wait_out_the_fresh_second();
    const ContainerSpec spec = spec_of({files.script.string()}, {(dir / "data").string()});
    {
        const observe::Recording another;
        EXPECT_EQ(run(spec).outcome, CacheOutcome::NotStored);
    }
    set_mtime(dir / "data", {1'000'000'000, 0});
    const CachedClosure after = run(spec);
    EXPECT_NE(after.outcome, CacheOutcome::Hit) << after.detail;
    ASSERT_TRUE(after.closure.plan.find((dir / "data").string()));
    EXPECT_EQ(after.closure.plan.find((dir / "data").string())->mtime.tv_sec, 1'000'000'000);
}

// Requests on two threads at once, however they interleave: each is stored with what it looked
// at, or not stored.
TEST_F(CachedClosureTest, RequestsOnTwoThreadsAreNotHitsAfterAChange) {
    constexpr int kRounds = 10;
    ScratchDir dir;
    for (int round = 0; round < kRounds; ++round)
        for (const char* name : {"one", "two"})
            write_text(dir / (name + std::to_string(round)), "data\n");
    wait_out_the_fresh_second();
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const fs::path one = dir / ("one" + std::to_string(round));
        const fs::path two = dir / ("two" + std::to_string(round));
        CachedClosure first, second;
        std::thread a([&] {
            first = cached_closure(spec_of({files.script.string()}, {one.string()}),
                                   "/usr/bin:/bin", {}, options, cache_dir);
        });
        std::thread b([&] {
            second = cached_closure(spec_of({files.script.string()}, {two.string()}),
                                    "/usr/bin:/bin", {}, options, cache_dir);
        });
        a.join();
        b.join();
        for (const CachedClosure* c : {&first, &second}) {
            if (c->outcome != CacheOutcome::Stored) continue;
            const auto record = parse(read_text(c->detail));
            ASSERT_TRUE(record);
            EXPECT_FALSE(record->observations.empty()) << c->detail;
        }
        for (const fs::path& path : {one, two}) {
            set_mtime(path, {1'000'000'000, 0});
            const CachedClosure after = run(spec_of({files.script.string()}, {path.string()}));
            EXPECT_NE(after.outcome, CacheOutcome::Hit) << path;
            ASSERT_TRUE(after.closure.plan.find(path.string()));
            EXPECT_EQ(after.closure.plan.find(path.string())->mtime.tv_sec, 1'000'000'000);
        }
    }
}

}  // namespace
}  // namespace ocitools
