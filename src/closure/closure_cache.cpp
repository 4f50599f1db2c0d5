#include "closure/closure_cache.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "closure/elf_bytes.h"
#include "closure/observe.h"
#include "directory.h"
#include "error.h"
#include "heap.h"
#include "parallel.h"
#include "phase_time.h"
#include "unique_fd.h"

namespace ocitools {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "ocitools closure cache\n";
constexpr std::uint32_t kFormat = 1;
// Files kept in <cache>/closures; the least recently written go first.
constexpr size_t kMaxFiles = 64;
constexpr size_t kMaxFileSize = size_t{256} << 20;
// A path whose ctime is this close to the build's start is too fresh to trust its mtime.
constexpr std::int64_t kFreshNanoseconds = 1'000'000'000;
// Below this many paths, checking them on one thread is faster than starting others.
constexpr size_t kPathsPerThread = 256;

// ---------------------------------------------------------------------------------------------
// The format: fixed-width little-endian integers (native: the cache never leaves the machine)
// and length-prefixed strings.

class Writer {
  public:
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void str(std::string_view s) {
        u64(s.size());
        out_.append(s);
    }
    void strs(const std::vector<std::string>& v) {
        u64(v.size());
        for (const auto& s : v) str(s);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class Reader {
  public:
    explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
    bool ok() const { return ok_; }
    bool at_end() const { return ok_ && pos_ == bytes_.size(); }

    template <typename T>
    T fixed() {
        T v{};
        if (!take(sizeof v)) return v;
        std::memcpy(&v, bytes_.data() + pos_ - sizeof v, sizeof v);
        return v;
    }
    std::uint8_t u8() { return fixed<std::uint8_t>(); }
    std::uint32_t u32() { return fixed<std::uint32_t>(); }
    std::uint64_t u64() { return fixed<std::uint64_t>(); }
    std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
    bool flag() {
        const std::uint8_t v = u8();
        if (v > 1) ok_ = false;
        return v == 1;
    }
    std::string str() {
        const std::uint64_t n = u64();
        if (!ok_ || n > bytes_.size() - pos_) {
            ok_ = false;
            return {};
        }
        std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    // A count of items each taking at least `min_size` bytes: never more than could be left.
    size_t count(size_t min_size) {
        const std::uint64_t n = u64();
        if (!ok_ || n > (bytes_.size() - pos_) / min_size) {
            ok_ = false;
            return 0;
        }
        return static_cast<size_t>(n);
    }
    std::vector<std::string> strs() {
        std::vector<std::string> v(count(8));
        for (auto& s : v) s = str();
        return v;
    }

  private:
    bool take(size_t n) {
        if (!ok_ || n > bytes_.size() - pos_) {
            ok_ = false;
            return false;
        }
        pos_ += n;
        return true;
    }

    std::span<const std::byte> bytes_;
    size_t pos_ = 0;
    bool ok_ = true;
};

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

// Everything the closure depends on besides the filesystem: this very build of ocitools, who
// runs it (permissions), where (relative paths), and the request.
std::optional<std::string> cache_key(const ContainerSpec& spec, const std::string& host_search_path,
                                     const ClosureOptions& options) {
    struct stat exe {};
    if (::stat("/proc/self/exe", &exe) != 0) return std::nullopt;
    std::string cwd(4096, '\0');
    if (!getcwd(cwd.data(), cwd.size())) return std::nullopt;
    cwd.resize(std::strlen(cwd.c_str()));
    Writer w;
    w.u64(exe.st_dev);
    w.u64(exe.st_ino);
    w.i64(exe.st_size);
    w.i64(exe.st_mtim.tv_sec);
    w.i64(exe.st_mtim.tv_nsec);
    w.str(OCITOOLS_VERSION);
    w.u32(geteuid());
    w.u32(getegid());
    // Capabilities decide what may be read as much as ids do (CAP_DAC_OVERRIDE,
    // CAP_DAC_READ_SEARCH), and stat(2) does not show them.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct caps[2]{};
    if (syscall(SYS_capget, &header, caps) != 0) return std::nullopt;
    w.u32(caps[0].effective);
    w.u32(caps[1].effective);
    std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
    const int n = getgroups(static_cast<int>(groups.size()), groups.data());
    groups.resize(static_cast<size_t>(std::max(n, 0)));
    std::sort(groups.begin(), groups.end());
    w.u64(groups.size());
    for (gid_t g : groups) w.u32(g);
    w.str(cwd);
    w.str(host_search_path);
    w.str(options.store_dir);
    w.str(options.state_dir);
    w.u8(static_cast<std::uint8_t>(options.nix_references));
    w.u8(options.package_closure);
    w.u8(options.selection.default_excludes);
    w.strs(options.selection.excludes);
    w.str(options.dpkg_admin_dir);
    w.strs(spec.args);
    w.strs(spec.include);
    w.strs(spec.packages);
    return w.take();
}

std::string hex(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = digits[v & 15];
    return out;
}

// ---------------------------------------------------------------------------------------------
// The cache directory: <dir>/closures, owned by us and writable by no one else. A directory or
// file another user could have written is not trusted (root with another user's $HOME).

bool private_to_us(int fd, bool directory) {
    struct stat st {};
    return fstat(fd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 022) == 0 &&
           (directory ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
}

UniqueFd open_closures_dir(const fs::path& cache_dir, bool create) {
    if (create) {
        std::error_code ec;
        // Missing parents as XDG wants them: 0700.
        fs::path partial;
        for (const auto& part : cache_dir) {
            partial /= part;
            if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return {};
        }
    }
    UniqueFd dir(open(cache_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || !private_to_us(dir.get(), true)) return {};
    if (create && mkdirat(dir.get(), "closures", 0700) != 0 && errno != EEXIST) return {};
    UniqueFd closures(openat(dir.get(), "closures", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!closures || !private_to_us(closures.get(), true)) return {};
    return closures;
}

// A cache file, if it is ours alone and of a sane size: mapped or read by FileBytes.
std::optional<FileBytes> open_cache_file(int dir, const std::string& name, const fs::path& shown) {
    UniqueFd fd(openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!fd || !private_to_us(fd.get(), false) || fstat(fd.get(), &st) != 0 || st.st_size <= 0 ||
        static_cast<std::uint64_t>(st.st_size) > kMaxFileSize)
        return std::nullopt;
    try {
        return FileBytes(std::move(fd), shown);
    } catch (const Error&) {
        return std::nullopt;  // unreadable: a miss, like any other
    }
}

// Keep at most kMaxFiles records, dropping the least recently written; and temporaries of
// builds that died more than an hour ago.
void evict(int dir) {
    DirHandle handle(fdopendir(dup(dir)), closedir);
    if (!handle) return;
    std::vector<std::string> names;
    try {
        names = entry_names(handle.get(), "closure cache");
    } catch (const Error&) {
        return;
    }
    std::vector<std::pair<std::int64_t, std::string>> records;
    const std::int64_t hour_ago = static_cast<std::int64_t>(std::time(nullptr)) - 3600;
    for (auto& name : names) {
        struct stat st {};
        if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (name.starts_with(".tmp-")) {
            if (st.st_mtim.tv_sec < hour_ago) unlinkat(dir, name.c_str(), 0);
            continue;
        }
        records.emplace_back(st.st_mtim.tv_sec, std::move(name));
    }
    if (records.size() <= kMaxFiles) return;
    std::sort(records.begin(), records.end());
    for (size_t i = 0; i < records.size() - kMaxFiles; ++i)
        unlinkat(dir, records[i].second.c_str(), 0);
}

bool write_cache_file(int dir, const std::string& name, const std::string& bytes) {
    const std::string temp = ".tmp-" + std::to_string(getpid()) + "-" + name;
    UniqueFd fd(openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600));
    if (!fd) return false;
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            unlinkat(dir, temp.c_str(), 0);
            return false;
        }
        done += static_cast<size_t>(n);
    }
    fd.reset();
    if (renameat(dir, temp.c_str(), dir, name.c_str()) != 0) {
        unlinkat(dir, temp.c_str(), 0);
        return false;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------

// `work(i)` for every i < n, on up to every core; `cost` of them do something (threads for fewer
// would only be started and stopped).
template <typename Work>
void for_each_index(size_t n, size_t cost, const Work& work) {
    std::atomic<size_t> next{0};
    constexpr size_t kChunk = 64;
    auto run = [&]() noexcept {
        for (size_t begin; (begin = next.fetch_add(kChunk)) < n;)
            for (size_t i = begin; i < std::min(n, begin + kChunk); ++i) work(i);
    };
    run_on_threads(std::min<size_t>(worker_threads(), cost / kPathsPerThread + 1), run);
}

// Whether every observation still holds. The directories only looked up may have a new mtime:
// `observations` then gets it, for the plan's copy of it.
// Lower `least` to `i` if `i` is less: the first index (in order) that failed, from any thread.
void lower_to(std::atomic<size_t>& least, size_t i) {
    size_t seen = least.load();
    while (i < seen && !least.compare_exchange_weak(seen, i)) {
    }
}

// Observations marked in `skip` are not checked.
bool still_true(std::vector<Observation>& observations, const std::vector<char>& skip,
                std::string& changed) {
    std::atomic<size_t> first_changed{observations.size()};
    const size_t to_check =
        observations.size() - static_cast<size_t>(std::count(skip.begin(), skip.end(), 1));
    for_each_index(observations.size(), to_check, [&](size_t i) {
        if (i > first_changed.load(std::memory_order_relaxed) || (!skip.empty() && skip[i]))
            return;
        Observation& o = observations[i];
        const Observation now = Observation::of(o.path, o.follow, o.listed);
        if (!o.same_as(now)) {
            lower_to(first_changed, i);
        } else if (o.looked_up_directory()) {
            o.mtime_sec = now.mtime_sec;
            o.mtime_nsec = now.mtime_nsec;
        }
    });
    if (first_changed == observations.size()) return true;
    changed = observations[first_changed].path;
    return false;
}

}  // namespace

fs::path default_cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/')
        return fs::path(xdg) / "ocitools";
    if (const char* home = std::getenv("HOME"); home && home[0] == '/')
        return fs::path(home) / ".cache" / "ocitools";
    return {};
}

UncheckedFiles::UncheckedFiles(std::vector<Observation> observations,
                               std::vector<std::pair<const PlanEntry*, std::uint32_t>> files)
    : observations_(std::move(observations)), files_(std::move(files)) {
    std::sort(files_.begin(), files_.end());
}

bool UncheckedFiles::still_true(const PlanEntry& file, const struct stat* st) const {
    const auto it = std::lower_bound(files_.begin(), files_.end(), &file,
                                     [](const auto& f, const PlanEntry* e) { return f.first < e; });
    if (it == files_.end() || it->first != &file) return true;
    if (!st) return false;
    return observations_[it->second].same_as(Observation::of_stat(*st));
}

void CachedClosure::report_held(const Reporter& reporter) {
    for (const auto& [warning, message] : held_messages)
        warning ? reporter.warn(message) : reporter.note(message);
    held_messages.clear();
}

std::string why_not_stored(const Observation& first, const Observation& now,
                           std::int64_t too_new) {
    if (!first.unchanged_to(now)) return now.path + " changed while the closure was computed";
    const std::int64_t mtime = now.mtime_sec * 1'000'000'000 + now.mtime_nsec;
    if (now.error == 0 && !now.looked_up_directory() && mtime >= too_new)
        return now.path + " changed less than a second ago";
    return {};
}

std::string serialize_cache_record(const CacheRecord& record) {
    Writer w;
    for (char c : kMagic) w.u8(static_cast<std::uint8_t>(c));
    w.u32(kFormat);
    w.str(record.key);
    w.u64(record.observations.size());
    for (const auto& o : record.observations) {
        w.str(o.path);
        w.u8(o.follow);
        w.u8(o.listed);
        w.u32(static_cast<std::uint32_t>(o.error));
        w.u64(o.dev);
        w.u64(o.ino);
        w.u32(o.mode);
        w.u32(o.uid);
        w.u32(o.gid);
        w.i64(o.size);
        w.i64(o.mtime_sec);
        w.i64(o.mtime_nsec);
    }
    const Closure& c = record.closure;
    w.str(c.program);
    w.str(c.extra_path_dir);
    w.u8(c.nix_references.has_value());
    w.u8(c.nix_references ? static_cast<std::uint8_t>(*c.nix_references) : 0);
    w.strs(c.packages);
    const auto entries = c.plan.sorted();
    w.u64(entries.size());
    for (const PlanEntry* entry : entries) {
        const PlanEntry& e = *entry;
        w.str(e.path);
        w.u8(static_cast<std::uint8_t>(e.kind));
        w.str(e.source == e.path ? std::string_view() : std::string_view(e.source));  // mostly
        w.str(e.link_target);
        w.u32(e.mode);
        w.i64(e.mtime.tv_sec);
        w.i64(e.mtime.tv_nsec);
    }
    w.u64(record.messages.size());
    for (const auto& [warning, text] : record.messages) {
        w.u8(warning);
        w.str(text);
    }
    return w.take();
}

std::optional<CacheRecord> parse_cache_record(std::span<const std::byte> bytes) {
    Reader r(bytes);
    for (char c : kMagic)
        if (r.u8() != static_cast<std::uint8_t>(c)) return std::nullopt;
    if (r.u32() != kFormat) return std::nullopt;
    CacheRecord record;
    record.key = r.str();
    // An observation takes at least 8 (path length) + 2 + 4 + 16 + 12 + 24 bytes.
    record.observations.resize(r.count(66));
    for (auto& o : record.observations) {
        o.path = r.str();
        o.follow = r.flag();
        o.listed = r.flag();
        o.error = static_cast<int>(r.u32());
        o.dev = r.u64();
        o.ino = r.u64();
        o.mode = r.u32();
        o.uid = r.u32();
        o.gid = r.u32();
        o.size = r.i64();
        o.mtime_sec = r.i64();
        o.mtime_nsec = r.i64();
    }
    Closure& c = record.closure;
    c.program = r.str();
    c.extra_path_dir = r.str();
    const bool has_nix = r.flag();
    const std::uint8_t nix = r.u8();
    if (nix > static_cast<std::uint8_t>(NixReferences::Scan)) return std::nullopt;
    if (has_nix) c.nix_references = static_cast<NixReferences>(nix);
    c.packages = r.strs();
    // An entry takes at least 3 * 8 (string lengths) + 1 + 4 + 16 bytes.
    const size_t entries = r.count(45);
    for (size_t i = 0; i < entries && r.ok(); ++i) {
        PlanEntry e;
        e.path = r.str();
        const std::uint8_t kind = r.u8();
        if (kind > static_cast<std::uint8_t>(EntryKind::StorePath)) return std::nullopt;
        e.kind = static_cast<EntryKind>(kind);
        e.source = r.str();
        if (e.source.empty()) e.source = e.path;
        e.link_target = r.str();
        e.mode = static_cast<mode_t>(r.u32());
        e.mtime.tv_sec = static_cast<time_t>(r.i64());
        e.mtime.tv_nsec = static_cast<long>(r.i64());
        if (!r.ok()) return std::nullopt;
        try {
            c.plan.add(std::move(e));
        } catch (const Error&) {
            return std::nullopt;  // entries that contradict each other
        }
    }
    record.messages.resize(r.count(9));
    for (auto& [warning, text] : record.messages) {
        warning = r.flag();
        text = r.str();
    }
    if (!r.at_end()) return std::nullopt;
    return record;
}

CachedClosure cached_closure(const ContainerSpec& spec, const std::string& host_search_path,
                             const Reporter& reporter, const ClosureOptions& options,
                             const fs::path& cache_dir, CacheUse use) {
    CachedClosure result;
    const std::optional<std::string> key =
        cache_dir.empty() ? std::nullopt : cache_key(spec, host_search_path, options);
    if (!key) {
        populate_heap();
        result.closure = compute_closure(spec, host_search_path, reporter, options);
        result.detail = cache_dir.empty()
                            ? "no cache directory (--no-cache, or neither XDG_CACHE_HOME nor HOME)"
                            : "cannot make a key (/proc/self/exe, or the working directory)";
        return result;
    }
    const std::string name = hex(fnv1a(*key));
    const fs::path file = cache_dir / "closures" / name;

    // A hit: the same request, and every path the walk asked about answers the same.
    UniqueFd dir = open_closures_dir(cache_dir, false);
    if (dir && use == CacheUse::Refresh) {
        (void)unlinkat(dir.get(), name.c_str(), 0);
    } else if (dir) {
        if (const auto cached = open_cache_file(dir.get(), name, file)) {
            // About what parsing it and writing from it take: a page's first touch costs less
            // when it was faulted in with the others (heap.h).
            populate_heap(3 * cached->bytes().size());
            auto record = parse_cache_record(cached->bytes());
            phase_done("cache: read");
            std::string changed;
            // Left to the writer: lstat(2) of a regular file that a plan entry is copied or
            // linked from. The writer sees the same (lstat of the link, or fstat of the file
            // opened with O_NOFOLLOW) when it writes it.
            std::vector<char> skip;
            std::vector<std::pair<const PlanEntry*, std::uint32_t>> unchecked;
            if (record && use == CacheUse::LeaveFilesToWriter &&
                record->observations.size() <= UINT32_MAX) {
                skip.resize(record->observations.size(), 0);
                for (size_t i = 0; i < skip.size(); ++i) {
                    const Observation& o = record->observations[i];
                    if (o.follow || o.error != 0 || !S_ISREG(o.mode)) continue;
                    const PlanEntry* entry = record->closure.plan.find(o.path);
                    if (!entry || entry->kind != EntryKind::File || entry->source != o.path)
                        continue;
                    skip[i] = 1;
                    unchecked.emplace_back(entry, static_cast<std::uint32_t>(i));
                }
            }
            if (!record) {
                result.detail = "damaged cache file " + file.string();
            } else if (record->key != *key) {
                result.detail = "another request's cache file " + file.string();
            } else if (!still_true(record->observations, skip, changed)) {
                result.detail = changed + " changed";
            } else {
                phase_done("cache: check");
                // A directory of the plan that only gained or lost a name meanwhile (a file
                // made in /tmp) keeps the closure; the rootfs gets its mtime of now.
                for (const Observation& o : record->observations)
                    if (o.looked_up_directory() && !o.follow)
                        record->closure.plan.set_directory_mtime(o.path,
                                                                 {o.mtime_sec, o.mtime_nsec});
                const size_t checked = record->observations.size() - unchecked.size();
                result.closure = std::move(record->closure);
                result.outcome = CacheOutcome::Hit;
                result.detail = file.string() + " (" + std::to_string(checked) + " paths checked";
                if (use == CacheUse::LeaveFilesToWriter) {
                    result.detail +=
                        ", " + std::to_string(unchecked.size()) + " files left to the writer";
                    // The plan's entries stay where they are: moving a std::map moves none.
                    result.unchecked =
                        UncheckedFiles(std::move(record->observations), std::move(unchecked));
                    result.held_messages = std::move(record->messages);
                } else {
                    for (const auto& [warning, message] : record->messages)
                        warning ? reporter.warn(message) : reporter.note(message);
                }
                result.detail += ")";
                return result;
            }
        }
    }

    // A miss: compute, recording the paths asked about and the messages. Why the cache file was
    // not used goes with what became of the new one.
    result.missed = std::move(result.detail);
    auto done = [&](std::string detail) {
        result.detail = std::move(detail);
        return std::move(result);
    };
    populate_heap();
    struct timespec start {};
    clock_gettime(CLOCK_REALTIME, &start);
    CacheRecord record;
    record.key = *key;
    observe::Recording::Looks paths;
    std::string uncacheable;
    {
        observe::Recording recording;
        const Reporter capture(
            [&](const std::string& m) {
                record.messages.emplace_back(true, m);
                reporter.warn(m);
            },
            [&](const std::string& m) {
                record.messages.emplace_back(false, m);
                reporter.note(m);
            });
        result.closure = compute_closure(spec, host_search_path, capture, options);
        paths = recording.take();
        uncacheable = recording.uncacheable_reason();
    }
    result.outcome = CacheOutcome::NotStored;
    if (!uncacheable.empty()) {
        return done(uncacheable);
    }

    // What the paths are now, each compared with its first look during the walk.
    record.observations.resize(paths.size());
    std::vector<const Observation*> first_looks;
    first_looks.reserve(paths.size());
    for (const auto& p : paths) first_looks.push_back(&p.second);
    std::atomic<size_t> unstorable_at{paths.size()};
    const std::int64_t too_new =
        static_cast<std::int64_t>(start.tv_sec) * 1'000'000'000 + start.tv_nsec - kFreshNanoseconds;
    for_each_index(first_looks.size(), first_looks.size(), [&](size_t i) {
        const Observation& first = *first_looks[i];
        const Observation& now = record.observations[i] =
            Observation::of(first.path, first.follow, first.listed);
        if (!why_not_stored(first, now, too_new).empty()) lower_to(unstorable_at, i);
    });
    if (const size_t i = unstorable_at; i != paths.size())
        return done(why_not_stored(*first_looks[i], record.observations[i], too_new));
    // stat(2) of a path says nothing lstat(2) of it does not, unless the path is a symlink:
    // the lookup is the same up to the last name. (The pairs are sorted: lstat comes first.)
    std::vector<Observation> kept;
    kept.reserve(record.observations.size());
    for (auto& o : record.observations) {
        const Observation* previous = kept.empty() ? nullptr : &kept.back();
        if (o.follow && !o.listed && previous && !previous->follow && previous->path == o.path &&
            (previous->error != 0 || !S_ISLNK(previous->mode)))
            continue;
        kept.push_back(std::move(o));
    }
    record.observations = std::move(kept);
    dir = open_closures_dir(cache_dir, true);
    if (!dir) {
        return done("cannot use " + cache_dir.string() + " (missing, or not private to us)");
    }
    record.closure = std::move(result.closure);
    const std::string bytes = serialize_cache_record(record);
    result.closure = std::move(record.closure);
    if (!write_cache_file(dir.get(), name, bytes)) {
        return done("cannot write " + file.string());
    }
    evict(dir.get());
    result.outcome = CacheOutcome::Stored;
    return done(file.string());
}

}  // namespace ocitools
