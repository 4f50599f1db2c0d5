#include "closure/script/shebang.h"

#include <gtest/gtest.h>

#include <regex>

namespace ocitools {
namespace {

TEST(Shebang, InterpreterAndArgument) {
    const auto sb = parse_shebang("#!/bin/sh -e\necho hi\n");
    ASSERT_TRUE(sb);
    EXPECT_EQ(sb->interpreter, "/bin/sh");
    EXPECT_EQ(sb->argument, "-e");
    EXPECT_FALSE(sb->env_program);
    const auto spaced = parse_shebang("#! \t/usr/bin/perl   -w -T  \r\n");
    ASSERT_TRUE(spaced);
    EXPECT_EQ(spaced->interpreter, "/usr/bin/perl");
    EXPECT_EQ(spaced->argument, "-w -T");
}

TEST(Shebang, EnvForms) {
    EXPECT_EQ(parse_shebang("#!/usr/bin/env bash\n")->env_program, "bash");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S python3 -u\n")->env_program, "python3");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -Sperl -w\n")->env_program, "perl");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S -i LANG=C node --x\n")->env_program, "node");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S -u HOME ruby\n")->env_program, "ruby");
    EXPECT_FALSE(parse_shebang("#!/usr/bin/env\n")->env_program);
    // Options that take a value: the value is not the program.
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S -C /srv python3\n")->env_program, "python3");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S --chdir /srv perl\n")->env_program, "perl");
    EXPECT_EQ(parse_shebang("#!/usr/bin/env -S --unset HOME ruby\n")->env_program, "ruby");
}

TEST(Shebang, NotAScript) {
    EXPECT_FALSE(
        parse_shebang("\x7f"
                      "ELF"));
    EXPECT_FALSE(parse_shebang("#"));
    EXPECT_FALSE(parse_shebang("# a comment, not #!\n"));
    EXPECT_FALSE(parse_shebang("#!   \n"));
    EXPECT_FALSE(parse_shebang(""));
}

TEST(Shebang, OnlyTheKernelsBufferIsRead) {
    const std::string longline = "#!/bin/" + std::string(300, 'x') + "\n";
    const auto sb = parse_shebang(longline);
    ASSERT_TRUE(sb);
    EXPECT_EQ(sb->interpreter.size(), kShebangMax - 2);
}

TEST(Shebang, KnownInterpreters) {
    EXPECT_TRUE(is_known_interpreter("/usr/bin/python3"));
    EXPECT_TRUE(is_known_interpreter("python3.11"));
    EXPECT_TRUE(is_known_interpreter("/usr/bin/perl"));
    EXPECT_TRUE(is_known_interpreter("node"));
    EXPECT_FALSE(is_known_interpreter("/bin/bash"));
    EXPECT_FALSE(is_known_interpreter("/usr/bin/pythonic-tool"));
}

// The matcher says what the regular expression it replaced said, on names near each rule.
TEST(Shebang, KnownInterpretersAsTheRegexSaid) {
    const std::regex re(
        R"((python|pypy|perl|ruby|node|nodejs|php|lua|luajit|tclsh|wish|Rscript|R|guile|java|erl|escript|gjs|raku|julia|octave)[0-9.\-]*)");
    for (const char* name :
         {"python", "python3", "python3.11", "python3.11-dbg", "python-3", "pythonw", "pypy3",
          "perl5.36.0", "perlx", "R", "R4", "Rscript", "Rscripts", "Rs", "r", "nodejs18",
          "node-18", "lua5.4", "luajit2.1.0-beta3", "java17", "javac", "erl", "escript",
          "escript.", "gjs-1", "julia1.9", "octave-cli", "", "3", "-", "ruby3.1", "rubyx",
          "tclsh8.6", "wish8.6", "guile-3.0", "raku", "php8.2", "phpize", "bash"}) {
        EXPECT_EQ(is_known_interpreter(std::string("/usr/bin/") + name),
                  std::regex_match(std::string(name), re))
            << name;
    }
}

}  // namespace
}  // namespace ocitools
