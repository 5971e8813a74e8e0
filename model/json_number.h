// Whole-number fields read from JSON that arrives from outside (config.json, the engine protocol).
// nlohmann converts a float, or an integer beyond the target's range, with a plain cast: undefined
// behaviour for 1e30 into an int (found by fuzzing), a silent wrap for 2^40. Readers check first.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

namespace tandem::model {

// Whether `v` holds a whole number (not 2.0, not 1e30) that T can hold.
template <typename T> bool holdsWholeNumber(const nlohmann::json& v) {
    static_assert(std::numeric_limits<T>::is_integer);
    if (!v.is_number_integer()) return false;
    const auto wide = v.is_number_unsigned() ? static_cast<long double>(v.get<uint64_t>()) : static_cast<long double>(v.get<int64_t>());
    return wide >= static_cast<long double>(std::numeric_limits<T>::min()) && wide <= static_cast<long double>(std::numeric_limits<T>::max());
}

} // namespace tandem::model
