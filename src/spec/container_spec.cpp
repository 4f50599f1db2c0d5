#include "spec/container_spec.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/enum_names.h"
#include "base/error.h"
#include "fs/file_bytes.h"
#include "fs/path.h"
#include "spec/capabilities.h"
#include "spec/platform.h"

namespace ocitools {

using nlohmann::json;

namespace {

const char* type_name(const json& v) {
    using T = json::value_t;
    static constexpr EnumName<T> kTypes[] = {
        {T::null, "null"},         {T::boolean, "a boolean"},       {T::string, "a string"},
        {T::array, "a list"},      {T::object, "an object"},        {T::binary, "binary data"},
        {T::discarded, "nothing"}, {T::number_integer, "a number"}, {T::number_unsigned, "a number"},
        {T::number_float, "a number"}};
    return name_of(kTypes, v.type());
}

[[noreturn]] void fail(const std::string& origin, const std::string& key, const std::string& why) {
    throw SpecError(origin + ": key \"" + key + "\": " + why);
}

void expect(const json& v, json::value_t t, const char* what, const std::string& origin,
            const std::string& key) {
    if (v.type() != t) fail(origin, key, std::string("expected ") + what + ", got " + type_name(v));
}

std::string as_string(const json& v, const std::string& origin, const std::string& key) {
    expect(v, json::value_t::string, "a string", origin, key);
    return v.get<std::string>();
}

std::vector<std::string> as_strings(const json& v, const std::string& origin,
                                    const std::string& key) {
    expect(v, json::value_t::array, "a list of strings", origin, key);
    std::vector<std::string> out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i)
        out.push_back(as_string(v[i], origin, key + "[" + std::to_string(i) + "]"));
    return out;
}

// "line L, column C" of a byte offset, for nlohmann's parse errors (which count bytes from 1).
std::string position_of(const std::string& text, size_t byte) {
    size_t line = 1, column = 1;
    const size_t end = std::min(byte > 0 ? byte - 1 : 0, text.size());
    for (size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return std::to_string(line) + ":" + std::to_string(column);
}

bool has_option(const std::vector<std::string>& options, std::string_view name) {
    return std::find(options.begin(), options.end(), name) != options.end();
}

}  // namespace

bool MountSpec::is_bind() const {
    return type == "bind" || has_option(options, "bind") || has_option(options, "rbind");
}

MountSpec parse_mount(const std::string& destination, const json& value, const std::string& key) {
    // `key` names the mount in messages, origin included: `spec.json: key "mounts"."/data"`.
    MountSpec m;
    m.destination = destination;
    if (!value.is_object())
        throw SpecError(key + ": expected an object {type, source, options}, got " +
                        type_name(value));
    for (const auto& item : value.items()) {
        // Named references, not structured bindings: clang 14 cannot capture those in a lambda.
        const std::string& name = item.key();
        const json& field = item.value();
        const std::string field_key = key + "." + name;
        auto bad_type = [&](const char* what) {
            throw SpecError(field_key + ": expected " + what + ", got " + type_name(field));
        };
        if (name == "type") {
            if (!field.is_string()) bad_type("a string");
            m.type = field.get<std::string>();
        } else if (name == "source") {
            if (!field.is_string()) bad_type("a string");
            m.source = field.get<std::string>();
        } else if (name == "options") {
            if (field.is_null()) continue;  // nixpkgs writes `options = null` when unset
            if (!field.is_array()) bad_type("a list of strings");
            for (size_t i = 0; i < field.size(); ++i) {
                if (!field[i].is_string())
                    throw SpecError(field_key + "[" + std::to_string(i) +
                                    "]: expected a string, got " + type_name(field[i]));
                m.options.push_back(field[i].get<std::string>());
            }
        } else {
            throw SpecError(field_key + ": unknown key (expected type, source, options)");
        }
    }
    if (m.type.empty()) throw SpecError(key + ".type: required (e.g. \"bind\", \"tmpfs\")");
    if (m.source.empty()) throw SpecError(key + ".source: required");
    add_bind_option(m);
    return m;
}

void add_bind_option(MountSpec& m) {
    // runc decides "bind mount" from the bind/rbind option, not from the type; a `type: bind`
    // without either would reach mount(2) as a filesystem named "bind" and fail. podman and
    // docker make such mounts recursive, and so do we.
    if (m.type == "bind" && !has_option(m.options, "bind") && !has_option(m.options, "rbind"))
        m.options.insert(m.options.begin(), "rbind");
}

void set_env(std::vector<std::string>& env, const std::string& entry, const std::string& key) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) throw SpecError(key + " " + quote(entry) + ": expected KEY=VALUE");
    if (eq == 0) throw SpecError(key + " " + quote(entry) + ": the variable name is empty");
    if (entry.find('\0') != std::string::npos)
        throw SpecError(key + " " + quote(entry) + ": contains a NUL byte");
    const std::string_view name(entry.data(), eq + 1);  // "KEY="
    auto same = std::find_if(env.begin(), env.end(),
                             [&](const std::string& e) { return e.starts_with(name); });
    if (same != env.end())
        *same = entry;
    else
        env.push_back(entry);
}

void check_hostname(const std::string& name, const std::string& key) {
    const bool ok = !name.empty() && name.size() <= 64 && name[0] != '-' && name[0] != '.' &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '-' || c == '.';
                    });
    if (!ok)
        throw SpecError(key + " " + quote(name) +
                        ": not a hostname (1 to 64 letters, digits, '-' and '.', not starting "
                        "with '-' or '.')");
}

double check_trace_timeout(double seconds, const std::string& key) {
    // Written so that NaN fails too.
    if (!(seconds > 0 && seconds <= 86400))
        throw SpecError(key + ": " + (std::ostringstream() << seconds).str() +
                        " is not a timeout in seconds (more than 0, at most 86400)");
    return seconds;
}

void add_mount(std::vector<MountSpec>& mounts, MountSpec mount) {
    std::erase_if(mounts, [&](const MountSpec& m) { return m.destination == mount.destination; });
    mounts.push_back(std::move(mount));
    // Sorting by destination puts every parent before its children, which runtimes need: a
    // mount on /a would hide one already made on /a/b.
    std::sort(mounts.begin(), mounts.end(),
              [](const MountSpec& a, const MountSpec& b) { return a.destination < b.destination; });
}

ContainerSpec parse_spec(const json& doc, const std::string& origin, const Reporter& reporter) {
    if (!doc.is_object())
        throw SpecError(origin + ": expected a JSON object at the top level, got " +
                        type_name(doc));
    ContainerSpec spec;
    for (const auto& [key, value] : doc.items()) {
        if (key == "args") {
            spec.args = as_strings(value, origin, key);
        } else if (key == "mounts") {
            expect(value, json::value_t::object,
                   "an object (destination -> {type, source, options})", origin, key);
            for (const auto& [destination, m] : value.items())
                add_mount(spec.mounts,
                          parse_mount(destination, m,
                                      origin + ": key \"mounts\".\"" + destination + "\""));
        } else if (key == "readonly") {
            expect(value, json::value_t::boolean, "a boolean", origin, key);
            spec.readonly = value.get<bool>();
        } else if (key == "include") {
            spec.include = as_strings(value, origin, key);
        } else if (key == "packages") {
            spec.packages = as_strings(value, origin, key);
        } else if (key == "os" || key == "arch") {
            (key == "os" ? spec.os : spec.arch) = as_string(value, origin, key);
            reporter.warn(origin + ": key \"" + key +
                          "\" is deprecated (the runtime spec removed `platform` in 1.0.0-rc6); "
                          "it is only checked against the host");
        } else if (key == "env") {
            const auto entries = as_strings(value, origin, key);
            for (size_t i = 0; i < entries.size(); ++i)
                set_env(spec.env, entries[i], origin + ": key \"env[" + std::to_string(i) + "]\":");
        } else if (key == "cwd") {
            spec.cwd = as_string(value, origin, key);
        } else if (key == "user") {
            spec.user = UserSpec::parse(as_string(value, origin, key), origin + ": key \"user\":");
        } else if (key == "hostname") {
            spec.hostname = as_string(value, origin, key);
        } else if (key == "terminal" || key == "rootless") {
            expect(value, json::value_t::boolean, "a boolean", origin, key);
            if (key == "terminal")
                spec.terminal = value.get<bool>();
            else
                spec.rootless = value.get<bool>();
        } else if (key == "trace" || key == "traceNetwork") {
            expect(value, json::value_t::boolean, "a boolean", origin, key);
            (key == "trace" ? spec.trace : spec.trace_network) = value.get<bool>();
        } else if (key == "traceTimeout") {
            if (!value.is_number())
                fail(origin, key, std::string("expected a number of seconds, got ") + type_name(value));
            spec.trace_timeout = check_trace_timeout(value.get<double>(), origin + ": key \"traceTimeout\"");
        } else if (key == "link") {
            spec.link = parse_link_mode(as_string(value, origin, key), origin + ": key \"link\"");
        } else if (key == "capAdd" || key == "capDrop") {
            (key == "capAdd" ? spec.cap_add : spec.cap_drop) = parse_capabilities(
                as_strings(value, origin, key), origin + ": key \"" + key + "\"");
        } else {
            fail(origin, key,
                 "unknown key (expected args, mounts, readonly, include, packages, env, cwd, user, "
                 "hostname, terminal, rootless, capAdd, capDrop, link, trace, traceTimeout, "
                 "traceNetwork, os, arch)");
        }
    }
    return spec;
}

ContainerSpec load_spec_file(const std::filesystem::path& path, const Reporter& reporter) {
    // 16 MiB: a spec is a few lines; a FIFO or /dev/zero given by mistake is refused at once.
    return parse_spec_text(read_regular_file(path, 16 << 20, "a spec"), path.string(), reporter);
}

ContainerSpec parse_spec_text(const std::string& text, const std::string& origin,
                              const Reporter& reporter) {
    // JSON (RFC 8259 4) says names SHOULD be unique and leaves duplicates to the parser, which
    // keeps the last: a spec with two "args" is refused, naming the key, not half obeyed.
    std::vector<std::set<std::string>> keys;  // of each object being parsed
    const json::parser_callback_t no_duplicates = [&](int, json::parse_event_t event,
                                                      json& parsed) {
        if (event == json::parse_event_t::object_start) keys.emplace_back();
        if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
        if (event == json::parse_event_t::key && !keys.empty() &&
            !keys.back().insert(parsed.get<std::string>()).second)
            throw SpecError(origin + ": key \"" + parsed.get<std::string>() +
                            "\" is given twice in one object");
        return true;
    };
    json doc;
    try {
        doc = json::parse(text, no_duplicates);
    } catch (const json::parse_error& e) {
        // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line
        // L, column C: "; keep only the cause after it.
        std::string cause = e.what();
        if (auto colon = cause.find(": "); colon != std::string::npos)
            cause = cause.substr(colon + 2);
        throw SpecError(origin + ":" + position_of(text, e.byte) + ": malformed JSON: " + cause);
    } catch (const json::exception& e) {
        // A number too large for a double (1e999), and the like.
        std::string cause = e.what();
        if (auto bracket = cause.find("] "); bracket != std::string::npos)
            cause = cause.substr(bracket + 2);
        throw SpecError(origin + ": malformed JSON: " + cause);
    }
    return parse_spec(doc, origin, reporter);
}

std::optional<std::string> mount_destination_problem(const std::string& destination) {
    if (!destination.starts_with('/')) return "the destination must be an absolute path";
    const CanonPath path(destination);
    if (path == CanonPath::root())
        return "a mount on / would hide the root filesystem (runc refuses it)";
    static const std::set<std::string> kLxcfsFiles = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
        "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
        "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};
    const CanonPath proc("/proc");
    if ((path == proc || path.is_beneath(proc)) && kLxcfsFiles.count(path.str()) == 0)
        return "runc refuses mounts on /proc and beneath it (but for the files lxcfs provides)";
    return std::nullopt;
}

void check_spec(const ContainerSpec& spec) {
    if (spec.args.empty())
        throw SpecError("key \"args\": the command is empty (give it in the spec or after --)");
    if (spec.args[0].empty()) throw SpecError("key \"args\"[0]: the program name is empty");
    // execve(2) takes C strings: a NUL would end the argument there.
    for (size_t i = 0; i < spec.args.size(); ++i)
        if (spec.args[i].find('\0') != std::string::npos)
            throw SpecError("key \"args\"[" + std::to_string(i) +
                            "]: holds a NUL byte, which no argument can carry");
    for (const auto& m : spec.mounts) {
        const std::string key = "mount \"" + m.destination + "\"";
        if (m.destination.empty() || m.destination[0] != '/')
            throw SpecError(key + ": destination must be an absolute path");
        for (const std::string* text : {&m.destination, &m.source})
            if (text->find('\0') != std::string::npos)
                throw SpecError(key + ": holds a NUL byte, which mount(2) cannot carry");
        for (const auto& option : m.options)
            if (option.find('\0') != std::string::npos)
                throw SpecError(key + ": option " + quote(option) +
                                " holds a NUL byte, which mount(2) cannot carry");
        if (auto problem = mount_destination_problem(m.destination))
            throw SpecError(key + ": " + *problem);
        if (m.is_bind()) {
            if (m.source.empty() || m.source[0] != '/')
                throw SpecError(key + ": bind source " + quote(m.source) +
                                " must be an absolute host path");
            struct stat st {};
            if (stat(m.source.c_str(), &st) != 0)
                throw SpecError(key + ": bind source " + quote(m.source) + ": " +
                                std::strerror(errno));
        }
    }
    if (spec.cwd && (spec.cwd->empty() || (*spec.cwd)[0] != '/'))
        throw SpecError("key \"cwd\" (--cwd) " + quote(*spec.cwd) + ": must be an absolute path");
    if (spec.hostname) check_hostname(*spec.hostname, "key \"hostname\" (--hostname)");
    check_platform(spec.os, spec.arch);
}

}  // namespace ocitools
