#include "spec/container_spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "spec/mount_flag.h"
#include "spec/platform.h"
#include "test_support.h"

namespace ocitools {
namespace {

using nlohmann::json;
using namespace ocitools::testing;

struct Collected {
    std::vector<std::string> warnings;
    Reporter reporter{[this](const std::string& m) { warnings.push_back(m); }, {}};
};

ContainerSpec parse(const std::string& text, Collected* collected = nullptr) {
    Collected local;
    return parse_spec(json::parse(text), "spec.json", (collected ? collected : &local)->reporter);
}

TEST(ContainerSpec, ParsesTheSeedKeys) {
    const auto spec = parse(R"({
        "args": ["/bin/busybox", "echo", "hi"],
        "readonly": true,
        "mounts": {"/data": {"type": "bind", "source": "/tmp", "options": ["ro"]},
                   "/cache": {"type": "tmpfs", "source": "tmpfs", "options": null}},
        "include": ["/etc/hosts"]
    })");
    EXPECT_EQ(spec.args, (std::vector<std::string>{"/bin/busybox", "echo", "hi"}));
    EXPECT_TRUE(spec.readonly);
    ASSERT_EQ(spec.mounts.size(), 2u);
    EXPECT_EQ(spec.mounts[0].destination, "/cache");
    EXPECT_TRUE(spec.mounts[0].options.empty());
    EXPECT_EQ(spec.mounts[1].destination, "/data");
    // runc needs the bind option to bind-mount; a type-only bind mount gets rbind.
    EXPECT_EQ(spec.mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));
    EXPECT_EQ(spec.include, (std::vector<std::string>{"/etc/hosts"}));
}

TEST(ContainerSpec, ReadonlyDefaultsToFalse) {
    EXPECT_FALSE(parse(R"({"args": ["x"]})").readonly);
}

TEST(ContainerSpec, UnknownKeyIsNamed) {
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "platfrom": 1})"), SpecError,
                          "spec.json: key \"platfrom\": unknown key");
}

TEST(ContainerSpec, WrongTypesAreNamed) {
    EXPECT_ERROR_CONTAINS(parse(R"({"args": "echo"})"), SpecError,
                          "key \"args\": expected a list of strings, got a string");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["echo", 3]})"), SpecError,
                          "key \"args[1]\": expected a string, got a number");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "readonly": "yes"})"), SpecError,
                          "key \"readonly\": expected a boolean, got a string");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "mounts": []})"), SpecError,
                          "key \"mounts\": expected an object");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "mounts": {"/d": {"type": 1, "source": "s"}}})"),
                          SpecError, "\"/d\".type: expected a string, got a number");
    EXPECT_ERROR_CONTAINS(
        parse(R"({"args": ["x"], "mounts": {"/d": {"type": "bind", "source": "/", "opts": []}}})"),
        SpecError, "\"/d\".opts: unknown key");
    EXPECT_ERROR_CONTAINS(
        parse(
            R"({"args": ["x"], "mounts": {"/d": {"type": "bind", "source": "/", "options": [1]}}})"),
        SpecError, "\"/d\".options[0]: expected a string");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "mounts": {"/d": {"source": "/"}}})"), SpecError,
                          "\"/d\".type: required");
    EXPECT_ERROR_CONTAINS(parse(R"([1, 2])"), SpecError, "expected a JSON object at the top level");
}

TEST(ContainerSpec, EmptyArgsAreRefused) {
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": []})")), SpecError,
                          "key \"args\": the command is empty");
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({})")), SpecError, "the command is empty");
}

TEST(ContainerSpec, RelativeMountDestinationIsRefused) {
    EXPECT_ERROR_CONTAINS(
        check_spec(
            parse(R"({"args": ["x"], "mounts": {"data": {"type": "tmpfs", "source": "tmpfs"}}})")),
        SpecError, "mount \"data\": destination must be an absolute path");
}

TEST(ContainerSpec, MissingBindSourceIsRefused) {
    EXPECT_ERROR_CONTAINS(
        check_spec(parse(
            R"({"args": ["x"], "mounts": {"/d": {"type": "bind", "source": "/no/such/dir"}}})")),
        SpecError, "bind source /no/such/dir: No such file or directory");
}

TEST(ContainerSpec, DeprecatedPlatformKeysWarnAndAreChecked) {
    Collected c;
    const auto spec = parse(R"({"args": ["x"], "os": "linux", "arch": "x86_64"})", &c);
    ASSERT_EQ(c.warnings.size(), 2u);
    EXPECT_NE(c.warnings[0].find("deprecated"), std::string::npos);
    if (host_goarch() == "amd64") {
        EXPECT_NO_THROW(check_spec(spec));
    }
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "os": "windows"})")), SpecError,
                          "key \"os\": windows is not this host's");
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "os": "linuks"})")), SpecError,
                          "key \"os\": linuks is not a Go GOOS name");
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "arch": "z80"})")), SpecError,
                          "key \"arch\": z80 is not a Go GOARCH name");
    const std::string other = host_goarch() == "arm64" ? "amd64" : "arm64";
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "arch": ")" + other + "\"}")),
                          SpecError, "key \"arch\": " + other + " is not this host's");
}

TEST(Platform, X86_64IsAnAliasOfAmd64) {
    EXPECT_EQ(normalize_goarch("x86_64"), "amd64");
    EXPECT_EQ(normalize_goarch("amd64"), "amd64");
    EXPECT_EQ(normalize_goarch("arm64"), "arm64");
    EXPECT_EQ(normalize_goarch("i386"), std::nullopt);
}

TEST(ContainerSpec, MalformedJsonNamesFileLineAndColumn) {
    ScratchDir dir;
    write_text(dir / "spec.json", "{\n  \"args\": [\"x\",]\n}\n");
    Reporter quiet;
    EXPECT_ERROR_CONTAINS(load_spec_file(dir / "spec.json", quiet), SpecError,
                          (dir / "spec.json").string() + ":2:");
    EXPECT_ERROR_CONTAINS(load_spec_file(dir / "spec.json", quiet), SpecError, "malformed JSON");
    EXPECT_ERROR_CONTAINS(load_spec_file(dir / "missing.json", quiet), SystemError,
                          "missing.json: No such file or directory");
}

TEST(MountFlag, ParsesRuncAndDockerForms) {
    const auto m = parse_mount_flag("type=bind,source=/tmp,destination=/data,ro");
    EXPECT_EQ(m.type, "bind");
    EXPECT_EQ(m.source, "/tmp");
    EXPECT_EQ(m.destination, "/data");
    EXPECT_EQ(m.options, (std::vector<std::string>{"rbind", "ro"}));
    const auto t = parse_mount_flag("type=tmpfs,source=tmpfs,dst=/scratch,nosuid");
    EXPECT_EQ(t.options, (std::vector<std::string>{"nosuid"}));
    const auto v = parse_volume_flag("/tmp:/data:ro");
    EXPECT_EQ(v.source, "/tmp");
    EXPECT_EQ(v.destination, "/data");
    EXPECT_EQ(v.options, (std::vector<std::string>{"rbind", "ro"}));
    EXPECT_ERROR_CONTAINS(parse_volume_flag("/tmp"), SpecError, "expected SOURCE:DESTINATION");
    EXPECT_EQ(parse_mount_flag("type=tmpfs,src=shm,dst=/dev/shm,size=128m,mode=1777").options,
              (std::vector<std::string>{"size=128m", "mode=1777"}));
    EXPECT_ERROR_CONTAINS(parse_mount_flag("type=,source=/tmp,destination=/d"), SpecError,
                          "empty type");
    EXPECT_ERROR_CONTAINS(parse_mount_flag("source=/tmp,,destination=/d"), SpecError,
                          "empty field");
    EXPECT_ERROR_CONTAINS(parse_mount_flag("source=/tmp"), SpecError, "no destination");
}

TEST(ContainerSpec, AddMountReplacesSameDestinationAndSortsParentsFirst) {
    std::vector<MountSpec> mounts;
    add_mount(mounts, {"/a/b", "tmpfs", "tmpfs", {}});
    add_mount(mounts, {"/a", "tmpfs", "tmpfs", {}});
    add_mount(mounts, {"/a/b", "tmpfs", "tmpfs", {"size=1m"}});
    ASSERT_EQ(mounts.size(), 2u);
    EXPECT_EQ(mounts[0].destination, "/a");
    EXPECT_EQ(mounts[1].options, (std::vector<std::string>{"size=1m"}));
}

TEST(ContainerSpec, ParsesTheProcessKeys) {
    const auto spec = parse(R"({
        "args": ["/bin/busybox"],
        "env": ["A=1", "B=x=y", "A=2", "EMPTY="],
        "cwd": "/work",
        "user": "1000:100",
        "hostname": "box",
        "terminal": true,
        "rootless": false,
        "capAdd": ["net_raw", "CAP_SYS_TIME"],
        "capDrop": ["all"]
    })");
    // A later entry for the same variable replaces the earlier one in place.
    EXPECT_EQ(spec.env, (std::vector<std::string>{"A=2", "B=x=y", "EMPTY="}));
    EXPECT_EQ(spec.cwd, "/work");
    EXPECT_EQ(spec.user, (UserSpec{"1000", "100"}));
    EXPECT_EQ(spec.hostname, "box");
    EXPECT_TRUE(spec.terminal);
    EXPECT_EQ(spec.rootless, false);
    EXPECT_EQ(spec.cap_add, (std::vector<std::string>{"CAP_NET_RAW", "CAP_SYS_TIME"}));
    EXPECT_EQ(spec.cap_drop, (std::vector<std::string>{"ALL"}));
    EXPECT_NO_THROW(check_spec(spec));
}

TEST(ContainerSpec, ProcessKeysDefaultToUnset) {
    const auto spec = parse(R"({"args": ["x"]})");
    EXPECT_TRUE(spec.env.empty());
    EXPECT_FALSE(spec.cwd || spec.user || spec.hostname || spec.rootless);
    EXPECT_FALSE(spec.terminal);
    EXPECT_TRUE(spec.cap_add.empty() && spec.cap_drop.empty());
}

TEST(ContainerSpec, BadProcessKeysAreNamed) {
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "env": ["A=1", "NOEQUALS"]})"), SpecError,
                          "spec.json: key \"env[1]\": NOEQUALS: expected KEY=VALUE");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "env": ["=v"]})"), SpecError,
                          "the variable name is empty");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "env": {"A": "1"}})"), SpecError,
                          "key \"env\": expected a list of strings");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "user": 1000})"), SpecError,
                          "key \"user\": expected a string, got a number");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "user": "1:2:3"})"), SpecError,
                          "key \"user\": 1:2:3: expected UID[:GID]");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "terminal": 1})"), SpecError,
                          "key \"terminal\": expected a boolean");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "rootless": "yes"})"), SpecError,
                          "key \"rootless\": expected a boolean");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "capAdd": ["CAP_FLY"]})"), SpecError,
                          "key \"capAdd\": unknown capability CAP_FLY");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "cap_add": []})"), SpecError,
                          "key \"cap_add\": unknown key");
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "cwd": "work"})")), SpecError,
                          "key \"cwd\" (--cwd) work: must be an absolute path");
    EXPECT_ERROR_CONTAINS(check_spec(parse(R"({"args": ["x"], "hostname": "-bad"})")), SpecError,
                          "key \"hostname\" (--hostname) -bad: not a hostname");
}

TEST(ContainerSpec, LinkModeIsParsedAndChecked) {
    EXPECT_FALSE(parse(R"({"args": ["x"]})").link);
    EXPECT_EQ(parse(R"({"args": ["x"], "link": "hardlink"})").link, LinkMode::Hardlink);
    EXPECT_EQ(parse(R"({"args": ["x"], "link": "auto"})").link, LinkMode::Auto);
    EXPECT_EQ(parse(R"({"args": ["x"], "link": "copy"})").link, LinkMode::Copy);
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "link": "symlink"})"), SpecError,
                          "spec.json: key \"link\": symlink is not a link mode (expected copy, "
                          "hardlink or auto)");
    EXPECT_ERROR_CONTAINS(parse(R"({"args": ["x"], "link": true})"), SpecError,
                          "key \"link\": expected a string");
}

TEST(ContainerSpec, TraceKeysAreParsedAndChecked) {
    const auto off = parse(R"({"args": ["/bin/true"]})");
    EXPECT_FALSE(off.trace);
    EXPECT_FALSE(off.trace_network);
    EXPECT_EQ(off.trace_timeout, 10);
    const auto on = parse(
        R"({"args": ["/bin/true"], "trace": true, "traceTimeout": 2.5, "traceNetwork": true})");
    EXPECT_TRUE(on.trace);
    EXPECT_TRUE(on.trace_network);
    EXPECT_EQ(on.trace_timeout, 2.5);
    for (const char* bad : {R"({"trace": "yes"})", R"({"traceNetwork": 1})",
                            R"({"traceTimeout": "5"})", R"({"traceTimeout": 0})",
                            R"({"traceTimeout": -1})", R"({"traceTimeout": 1e9})"}) {
        try {
            parse(bad);
            ADD_FAILURE() << bad << " was accepted";
        } catch (const SpecError& e) {
            EXPECT_NE(std::string(e.what()).find("key \"trace"), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(check_trace_timeout(86400, "--trace-timeout"), 86400);
    EXPECT_THROW(check_trace_timeout(0, "--trace-timeout"), SpecError);
}

TEST(SetEnv, ReplacesInPlaceAndChecksTheForm) {
    std::vector<std::string> env = {"PATH=/bin", "A=1"};
    set_env(env, "PATH=/usr/bin", "--env");
    set_env(env, "AB=2", "--env");  // a longer name is another variable
    EXPECT_EQ(env, (std::vector<std::string>{"PATH=/usr/bin", "A=1", "AB=2"}));
    EXPECT_ERROR_CONTAINS(set_env(env, "HOME", "--env"), SpecError,
                          "--env HOME: expected KEY=VALUE");
    EXPECT_ERROR_CONTAINS(set_env(env, std::string("A=\0", 3), "--env"), SpecError, "NUL");
}

TEST(Hostname, AcceptsHostnamesOnly) {
    EXPECT_NO_THROW(check_hostname("box", "--hostname"));
    EXPECT_NO_THROW(check_hostname("web-1.example.org", "--hostname"));
    EXPECT_NO_THROW(check_hostname(std::string(64, 'a'), "--hostname"));
    for (const std::string& bad :
         std::vector<std::string>{"", "-x", ".x", "a b", "a_b", std::string(65, 'a')})
        EXPECT_ERROR_CONTAINS(check_hostname(bad, "--hostname"), SpecError, "not a hostname");
}

}  // namespace
}  // namespace ocitools
