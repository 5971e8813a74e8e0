#include "app/cli_args.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace tandem::app {

Args::Args(const std::vector<std::string>& words, const std::string& command, const std::set<std::string>& valueOptions,
           const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases,
           const std::set<std::string>& addressFlags)
    : command_(command) {
    // HOST:PORT — a word no prompt or file name is likely to be: no spaces, ends in ':' and digits.
    auto isAddress = [](const std::string& w) {
        const size_t colon = w.rfind(':');
        return !w.empty() && w[0] != '-' && colon != std::string::npos && colon > 0 && colon + 1 < w.size() &&
               w.size() - colon <= 6 && w.find(' ') == std::string::npos &&
               w.find_first_not_of("0123456789", colon + 1) == std::string::npos;
    };
    for (size_t i = 0; i < words.size(); ++i) {
        std::string w = words[i];
        if (auto a = aliases.find(w); a != aliases.end()) w = a->second;
        if (w.rfind("--", 0) == 0) {
            std::string value;
            bool inlineValue = false;
            if (auto eq = w.find('='); eq != std::string::npos) {
                value = w.substr(eq + 1);
                w = w.substr(0, eq);
                inlineValue = true;
            }
            const std::string name = w.substr(2);
            if (valueOptions.count(name)) {
                if (!inlineValue) {
                    if (i + 1 >= words.size()) throw UsageError("option --" + name + " needs a value");
                    value = words[++i];
                }
                values_[name] = value;
            } else if (addressFlags.count(name) && (inlineValue || (i + 1 < words.size() && isAddress(words[i + 1])))) {
                values_[name] = inlineValue ? value : words[++i];
            } else if (flags.count(name) && !inlineValue) {
                flags_.insert(name);
            } else {
                throw UsageError("unknown option --" + name + " for " + command);
            }
        } else if (w.size() > 1 && w[0] == '-' && !(w[1] >= '0' && w[1] <= '9')) {
            throw UsageError("unknown option " + w + " for " + command);
        } else {
            positional_.push_back(w);
        }
    }
}

std::string Args::text(const std::string& name, const std::string& fallback) const {
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) throw UsageError(command_ + " needs --" + name);
    return it->second;
}

double Args::number(const std::string& name, double fallback, double min, double max) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(it->second.c_str(), &end);
    if (errno || end == it->second.c_str() || *end != '\0')
        throw UsageError("--" + name + " must be a number, got '" + it->second + "'");
    if (!(v >= min && v <= max)) {
        std::ostringstream s;
        s << "--" << name << " must be between " << min << " and " << max << ", got " << it->second;
        throw UsageError(s.str());
    }
    return v;
}

long long Args::integer(const std::string& name, long long fallback, long long min, long long max) const {
    auto it = values_.find(name);
    if (it == values_.end()) return fallback;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (errno || end == it->second.c_str() || *end != '\0')
        throw UsageError("--" + name + " must be a whole number, got '" + it->second + "'");
    if (v < min || v > max)
        throw UsageError("--" + name + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                         ", got " + it->second);
    return v;
}

std::string programDir() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : self.parent_path().string();
}

} // namespace tandem::app
