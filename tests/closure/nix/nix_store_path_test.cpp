#include "closure/nix/nix_store_path.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "test_support.h"

namespace ocitools {
namespace {

const std::string kHash = "0c0bjycd4wjqhjcl6ibkvnw8ign2fmw5";  // 32 chars of the alphabet

TEST(NixBase32, AlphabetIsNixs) {
    // Nix's base32 (libutil/hash.cc): digits and lower-case letters without e, o, u, t.
    EXPECT_EQ(kNixBase32Alphabet.size(), 32u);
    for (char c : std::string("eout")) EXPECT_FALSE(is_nix_base32(c)) << c;
    for (char c : std::string("0123456789abcdfghijklmnpqrsvwxyz")) EXPECT_TRUE(is_nix_base32(c));
    EXPECT_FALSE(is_nix_base32('A'));
    EXPECT_FALSE(is_nix_base32('-'));
    EXPECT_FALSE(is_nix_base32('\0'));
}

TEST(NixStoreDir, CleansAndRejects) {
    EXPECT_EQ(StoreDir("/nix/store").path(), "/nix/store");
    EXPECT_EQ(StoreDir("/nix//store/").path(), "/nix/store");
    EXPECT_EQ(StoreDir("/nix/./store").path(), "/nix/store");
    EXPECT_ERROR_CONTAINS(StoreDir("nix/store"), SpecError, "must be an absolute path");
    EXPECT_ERROR_CONTAINS(StoreDir("/"), SpecError, "cannot be \"/\"");
    EXPECT_ERROR_CONTAINS(StoreDir("/nix/../store"), SpecError, "\"..\"");
}

TEST(NixStoreDir, BaseNames) {
    EXPECT_TRUE(StoreDir::is_valid_base_name(kHash + "-bash-5.2"));
    EXPECT_TRUE(StoreDir::is_valid_base_name(kHash + "-a+b_c.d?e=f"));
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash));            // no name
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash + "-"));      // empty name
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash + "-.hid"));  // starts with '.'
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash + "-a b"));   // space
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash + "_x"));     // no dash
    std::string bad = kHash;
    bad[3] = 'e';  // not in the alphabet
    EXPECT_FALSE(StoreDir::is_valid_base_name(bad + "-x"));
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash.substr(1) + "-x"));  // 31 chars
    EXPECT_TRUE(StoreDir::is_valid_base_name(kHash + "-" + std::string(211, 'n')));
    EXPECT_FALSE(StoreDir::is_valid_base_name(kHash + "-" + std::string(212, 'n')));
}

TEST(NixStoreDir, StorePathOfAPathBeneathIt) {
    const StoreDir store("/nix/store");
    auto p = store.store_path_of("/nix/store/" + kHash + "-bash-5.2/bin/bash");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->path(), "/nix/store/" + kHash + "-bash-5.2");
    EXPECT_EQ(p->hash_part(), kHash);
    EXPECT_EQ(p->name(), "bash-5.2");
    EXPECT_EQ(p->base_name(), kHash + "-bash-5.2");
    EXPECT_EQ(store.store_path_of("/nix/store/" + kHash + "-bash-5.2")->path(),
              "/nix/store/" + kHash + "-bash-5.2");
    EXPECT_FALSE(store.store_path_of("/nix/store"));
    EXPECT_FALSE(store.store_path_of("/nix/store/"));
    EXPECT_FALSE(store.store_path_of("/nix/store/.links/abc"));
    EXPECT_FALSE(store.store_path_of("/nix/storex/" + kHash + "-x"));
    EXPECT_FALSE(store.store_path_of("/usr/bin/bash"));
    EXPECT_FALSE(StoreDir("/other").store_path_of("/nix/store/" + kHash + "-x"));
}

TEST(NixStoreDir, FindsStorePathsAnywhereInAnArgument) {
    const StoreDir store("/nix/store");
    const std::string a = "/nix/store/" + kHash + "-app-1.0";
    const std::string b = "/nix/store/0c0bjycd4wjqhjcl6ibkvnw8ign2fmw6-conf";
    auto found = store.find_in("--config=" + b + "/etc/c");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].path(), b);
    found = store.find_in("exec " + a + "/bin/app --with '" + b + "'; echo " + a);
    ASSERT_EQ(found.size(), 3u);
    EXPECT_EQ(found[0].path(), a);
    EXPECT_EQ(found[1].path(), b);  // stops at the quote
    EXPECT_EQ(found[2].path(), a);
    EXPECT_TRUE(store.find_in("/nix/store/" + kHash.substr(0, 31) + "-x").empty());
    EXPECT_TRUE(store.find_in("/nix/store/" + kHash).empty());
    EXPECT_TRUE(store.find_in("/nix/store").empty());
    EXPECT_TRUE(store.find_in("nothing here").empty());
}

}  // namespace
}  // namespace ocitools
