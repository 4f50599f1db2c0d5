#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "base/error.h"
#include "image/image.h"
#include "test_support.h"

namespace ocitools {
namespace {

TEST(ImageFormat, OciOrDockerArchive) {
    EXPECT_EQ(parse_image_format("oci", "--format"), ImageFormat::Oci);
    EXPECT_EQ(parse_image_format("docker-archive", "--format"), ImageFormat::DockerArchive);
    for (const char* bad : {"", "OCI", "docker", "oci-archive"})
        EXPECT_THROW(parse_image_format(bad, "--format"), SpecError) << bad;
    EXPECT_ERROR_CONTAINS(parse_image_format("tar", "--format"), SpecError,
                          "--format: tar is not an image format (oci or docker-archive)");
}

TEST(ImagePort, NumberAndProtocol) {
    EXPECT_EQ(parse_port("80", "--port"), "80/tcp");
    EXPECT_EQ(parse_port("80/tcp", "--port"), "80/tcp");
    EXPECT_EQ(parse_port("53/udp", "--port"), "53/udp");
    EXPECT_EQ(parse_port("9/sctp", "--port"), "9/sctp");
    EXPECT_EQ(parse_port("1", "--port"), "1/tcp");
    EXPECT_EQ(parse_port("65535", "--port"), "65535/tcp");
    EXPECT_EQ(parse_port("080", "--port"), "80/tcp");  // one spelling per port
}

TEST(ImagePort, Refused) {
    for (const char* bad : {"", "0", "65536", "99999", "123456", "-1", "+80", "8o", " 80", "80 ",
                            "/tcp", "80/", "80/xyz", "80/TCP", "80/tcp/x", "0x50"})
        EXPECT_THROW(parse_port(bad, "--port"), SpecError) << '"' << bad << '"';
    EXPECT_ERROR_CONTAINS(parse_port("0", "--port"), SpecError,
                          "--port: 0: the port must be a number from 1 to 65535");
    EXPECT_ERROR_CONTAINS(parse_port("80/xyz", "--port"), SpecError,
                          "--port: 80/xyz: the protocol must be tcp, udp or sctp");
}

TEST(ImageLabel, KeyEqualsValue) {
    using Label = std::pair<std::string, std::string>;
    EXPECT_EQ(parse_label("k=v", "--label"), (Label{"k", "v"}));
    EXPECT_EQ(parse_label("k=", "--label"), (Label{"k", ""}));
    EXPECT_EQ(parse_label("k=a=b", "--label"), (Label{"k", "a=b"}));
    EXPECT_EQ(parse_label("org.opencontainers.image.title=x y", "--label"),
              (Label{"org.opencontainers.image.title", "x y"}));
    EXPECT_ERROR_CONTAINS(parse_label("=v", "--label"), SpecError, "--label: =v is not KEY=VALUE");
    EXPECT_ERROR_CONTAINS(parse_label("k", "--label"), SpecError, "--label: k is not KEY=VALUE");
    EXPECT_THROW(parse_label("", "--label"), SpecError);
}

TEST(ImageTag, Accepted) {
    for (const char* good :
         {"x", "x:1", "a/b", "a/b:latest", "localhost:5000/x", "localhost:5000/x:1",
          "registry.example.com/team/app:v1.2_3-rc", "a:Tag_With.Caps-1"})
        EXPECT_NO_THROW(check_tag(good, "--tag")) << good;
    EXPECT_NO_THROW(check_tag("x:" + std::string(128, 't'), "--tag"));
}

TEST(ImageTag, Refused) {
    for (const char* bad : {"", ":1", "X", "a/B:1", "Upper:1", "a:b c", "a b", "x:", "x:1:2", "x\t",
                            "x:1\n", "localhost:5000/x:", "x:t@g"})
        EXPECT_THROW(check_tag(bad, "--tag"), SpecError) << '"' << bad << '"';
    EXPECT_THROW(check_tag("x:" + std::string(129, 't'), "--tag"), SpecError);
    EXPECT_ERROR_CONTAINS(check_tag("App:1", "--tag"), SpecError,
                          "--tag: App:1: an image name holds only lower-case letters");
    EXPECT_ERROR_CONTAINS(check_tag("a:b c", "--tag"), SpecError, "a tag holds only");
    EXPECT_ERROR_CONTAINS(check_tag(":1", "--tag"), SpecError, "no image name");
}

// SOURCE_DATE_EPOCH, restored after each test.
class SourceDateEpoch : public ::testing::Test {
  protected:
    SourceDateEpoch() {
        if (const char* value = std::getenv("SOURCE_DATE_EPOCH")) saved_ = value;
    }
    ~SourceDateEpoch() override {
        if (saved_)
            setenv("SOURCE_DATE_EPOCH", saved_->c_str(), 1);
        else
            unsetenv("SOURCE_DATE_EPOCH");
    }
    static void set(const char* value) { setenv("SOURCE_DATE_EPOCH", value, 1); }

  private:
    std::optional<std::string> saved_;
};

TEST_F(SourceDateEpoch, UnsetOrEmptyIsNone) {
    unsetenv("SOURCE_DATE_EPOCH");
    EXPECT_EQ(source_date_epoch_from_environment(), std::nullopt);
    set("");
    EXPECT_EQ(source_date_epoch_from_environment(), std::nullopt);
}

TEST_F(SourceDateEpoch, DecimalSeconds) {
    set("1700000000");
    EXPECT_EQ(source_date_epoch_from_environment(), 1700000000);
    set("0");
    EXPECT_EQ(source_date_epoch_from_environment(), 0);
    set("000042");
    EXPECT_EQ(source_date_epoch_from_environment(), 42);
    set("999999999999999999");  // 18 digits
    EXPECT_EQ(source_date_epoch_from_environment(), 999999999999999999);
}

TEST_F(SourceDateEpoch, AnythingElseIsRefused) {
    for (const char* bad : {"abc", "-1", "+1", "1.5", " 1", "1 ", "1e9", "0x10",
                            "9999999999999999999", "99999999999999999999999"}) {
        set(bad);
        EXPECT_THROW(source_date_epoch_from_environment(), SpecError) << '"' << bad << '"';
    }
    set("abc");
    EXPECT_ERROR_CONTAINS(source_date_epoch_from_environment(), SpecError,
                          "SOURCE_DATE_EPOCH=abc: not a number of seconds");
}

}  // namespace
}  // namespace ocitools
