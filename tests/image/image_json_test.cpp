#include "image/image_json.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <string>
#include <vector>

namespace ocitools {
namespace {

// Golden documents: canonical JSON (keys sorted, no white space), byte for byte, since the
// digests of the image depend on these bytes.

const Descriptor kConfig{"application/vnd.oci.image.config.v1+json", "sha256:c0", 10};
const Descriptor kLayer{"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:l1", 20};
const Descriptor kLayer2{"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:l2", 21};
const Descriptor kManifest{"application/vnd.oci.image.manifest.v1+json", "sha256:m0", 30};

TEST(Rfc3339, UtcSeconds) {
    EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(rfc3339(1700000000), "2023-11-14T22:13:20Z");
    EXPECT_EQ(rfc3339(951782400), "2000-02-29T00:00:00Z");
    EXPECT_EQ(rfc3339(253402300799), "9999-12-31T23:59:59Z");
}

TEST(ImageConfigJson, MinimalWithCmd) {
    ImageConfig c;
    c.architecture = "amd64";
    c.cmd = {"/bin/sh", "-c", "echo hi"};
    c.env = {"PATH=/usr/bin:/bin"};
    c.diff_ids = {"sha256:aaa", "sha256:bbb"};
    c.history = {"ocitools build-image: package libc6:amd64", "ocitools build-image: loose files"};
    EXPECT_EQ(
        image_config_json(c),
        R"({"architecture":"amd64","config":{"Cmd":["/bin/sh","-c","echo hi"],)"
        R"("Env":["PATH=/usr/bin:/bin"]},"created":"1970-01-01T00:00:00Z",)"
        R"("history":[{"created":"1970-01-01T00:00:00Z",)"
        R"("created_by":"ocitools build-image: package libc6:amd64"},)"
        R"({"created":"1970-01-01T00:00:00Z","created_by":"ocitools build-image: loose files"}],)"
        R"("os":"linux","rootfs":{"diff_ids":["sha256:aaa","sha256:bbb"],"type":"layers"}})");
}

// Entrypoint instead of Cmd; every optional field; ports as objects (image-spec config.md:
// "ExposedPorts ... the values are empty objects"), labels and ports sorted.
TEST(ImageConfigJson, EveryField) {
    ImageConfig c;
    c.architecture = "arm";
    c.variant = "v7";
    c.created = 1700000000;
    c.entrypoint = {"/app", "--flag"};
    c.working_dir = "/srv";
    c.user = "1000:1000";
    c.labels = {{"org.b", "2"}, {"a", "x y"}};
    c.exposed_ports = {"80/tcp", "53/udp"};
    c.diff_ids = {"sha256:aaa"};
    c.history = {"ocitools build-image: loose files"};
    EXPECT_EQ(image_config_json(c),
              R"({"architecture":"arm","config":{"Entrypoint":["/app","--flag"],"Env":[],)"
              R"("ExposedPorts":{"53/udp":{},"80/tcp":{}},"Labels":{"a":"x y","org.b":"2"},)"
              R"("User":"1000:1000","WorkingDir":"/srv"},"created":"2023-11-14T22:13:20Z",)"
              R"("history":[{"created":"2023-11-14T22:13:20Z",)"
              R"("created_by":"ocitools build-image: loose files"}],"os":"linux",)"
              R"("rootfs":{"diff_ids":["sha256:aaa"],"type":"layers"},"variant":"v7"})");
    // Both: Cmd gives the Entrypoint its default arguments.
    c.cmd = {"default"};
    const std::string both = image_config_json(c);
    EXPECT_NE(both.find(R"("config":{"Cmd":["default"],"Entrypoint":["/app","--flag"],)"),
              std::string::npos)
        << both;
}

TEST(ImageConfigJson, NoProcessNoLayers) {
    ImageConfig c;
    c.architecture = "amd64";
    EXPECT_EQ(image_config_json(c),
              R"({"architecture":"amd64","config":{"Env":[]},"created":"1970-01-01T00:00:00Z",)"
              R"("history":[],"os":"linux","rootfs":{"diff_ids":[],"type":"layers"}})");
}

TEST(ManifestJson, Golden) {
    EXPECT_EQ(
        manifest_json(kConfig, {kLayer, kLayer2}),
        R"({"config":{"digest":"sha256:c0","mediaType":"application/vnd.oci.image.config.v1+json","size":10},)"
        R"("layers":[{"digest":"sha256:l1","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":20},)"
        R"({"digest":"sha256:l2","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":21}],)"
        R"("mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
    EXPECT_EQ(
        manifest_json(kConfig, {}),
        R"({"config":{"digest":"sha256:c0","mediaType":"application/vnd.oci.image.config.v1+json","size":10},)"
        R"("layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
}

TEST(IndexJson, OneManifestPerTagNamedByRefName) {
    ImageConfig platform;
    platform.architecture = "amd64";
    const std::string entry =
        R"("digest":"sha256:m0","mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("platform":{"architecture":"amd64","os":"linux"},"size":30})";
    EXPECT_EQ(
        index_json(kManifest, platform, {"a:1", "localhost:5000/b"}),
        R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"a:1"},)" + entry +
            R"(,{"annotations":{"org.opencontainers.image.ref.name":"localhost:5000/b"},)" + entry +
            R"(],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
    // No tag: one manifest, without annotations.
    EXPECT_EQ(index_json(kManifest, platform, {}),
              R"({"manifests":[{)" + entry +
                  R"(],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

TEST(IndexJson, PlatformVariant) {
    ImageConfig platform;
    platform.architecture = "arm";
    platform.variant = "v6";
    const std::string text = index_json(kManifest, platform, {});
    EXPECT_NE(text.find(R"("platform":{"architecture":"arm","os":"linux","variant":"v6"})"),
              std::string::npos)
        << text;
}

TEST(OciLayoutJson, Version) {
    EXPECT_EQ(oci_layout_json(), R"({"imageLayoutVersion":"1.0.0"})");
}

// docker load reads RepoTags as NAME:TAG: a tag without one gets ":latest"; a colon before the
// last slash is a registry's port, not a tag.
TEST(DockerManifestJson, RepoTagsWithLatestAdded) {
    EXPECT_EQ(docker_manifest_json(kConfig, {kLayer, kLayer2},
                                   {"a/b", "localhost:5000/x", "x:1", "localhost:5000/x:2", "x"}),
              R"([{"Config":"blobs/sha256/c0","Layers":["blobs/sha256/l1","blobs/sha256/l2"],)"
              R"("RepoTags":["a/b:latest","localhost:5000/x:latest","x:1","localhost:5000/x:2",)"
              R"("x:latest"]}])");
    EXPECT_EQ(docker_manifest_json(kConfig, {kLayer}, {}),
              R"([{"Config":"blobs/sha256/c0","Layers":["blobs/sha256/l1"],"RepoTags":null}])");
}

TEST(BlobPath, FromDigest) {
    EXPECT_EQ(blob_path("sha256:0123abcd"), "blobs/sha256/0123abcd");
    EXPECT_EQ(blob_path(kLayer.digest), "blobs/sha256/l1");
}

TEST(HostPlatform, GoArchitectureNames) {
    struct utsname u {};
    ASSERT_EQ(uname(&u), 0);
    ImageConfig c;
    c.variant = "stale";
    host_platform(c);
    const std::string machine = u.machine;
    if (machine == "x86_64") {
        EXPECT_EQ(c.architecture, "amd64");
    }
    if (machine == "aarch64") {
        EXPECT_EQ(c.architecture, "arm64");
    }
    EXPECT_FALSE(c.architecture.empty());
    if (machine != "armv7l" && machine != "armv6l") {
        EXPECT_EQ(c.variant, "");
    }
    EXPECT_EQ(c.os, "linux");
}

}  // namespace
}  // namespace ocitools
