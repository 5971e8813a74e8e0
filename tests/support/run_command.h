// Test support: run a shell command line and keep its exit status and what it printed on stdout (a caller
// that wants stderr too appends 2>&1).
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <sys/wait.h>

namespace tandem::test {

struct CommandResult {
    int status = -1;    // the exit status; -1 when the command did not exit
    std::string output;
};

inline CommandResult runCommand(const std::string& cmd) {
    CommandResult r;
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) r.output.append(buf, n);
    const int raw = pclose(pipe);
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

} // namespace tandem::test
