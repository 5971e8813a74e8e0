// Design note: the command line of tandem-cli — a command word, then --name value options and flags.
// Parsing reports the first problem as one line ("unknown option --frob for generate"), which the program
// prints before exiting with status 2.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::app {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // valueOptions take a value; flags do not. Short aliases map "-o" → "--output". A flag in
    // addressFlags may be followed by a HOST:PORT (`--engine gpu-box:7850`), which becomes its value.
    Args(const std::vector<std::string>& words, const std::string& command, const std::set<std::string>& valueOptions,
         const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases = {},
         const std::set<std::string>& addressFlags = {});

    bool has(const std::string& name) const { return values_.count(name) || flags_.count(name); }
    std::string text(const std::string& name, const std::string& fallback = {}) const;
    std::string required(const std::string& name) const;
    double number(const std::string& name, double fallback, double min, double max) const;
    long long integer(const std::string& name, long long fallback, long long min, long long max) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::string command_;
    std::map<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

// The directory this program's executable lives in (read from /proc/self/exe, so it holds when the
// program was started through PATH or a relative path): the sibling programs are installed beside it.
std::string programDir();

} // namespace tandem::app
