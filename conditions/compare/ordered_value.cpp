#include "ordered_value.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace compare_plugin {
namespace {

bool all_digits(std::string_view s) {
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Reads exactly `width` digits at `pos`.
bool digits_at(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  const auto part = s.substr(pos, width);
  if (!all_digits(part)) return false;
  std::from_chars(part.data(), part.data() + part.size(), out);
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<Number> Number::parse(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  Number n;
  std::string_view body = text;
  if (body.front() == '-' || body.front() == '+') {
    n.negative_ = body.front() == '-';
    body.remove_prefix(1);
  }
  const auto dot = body.find('.');
  std::string_view integer = body.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : body.substr(dot + 1);
  if (!integer.empty() && all_digits(integer) && all_digits(fraction)) {
    while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
    while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
    n.exact_ = true;
    n.integer_ = integer;
    n.fraction_ = fraction;
    if (n.integer_ == "0" && n.fraction_.empty()) n.negative_ = false;  // -0 == 0
    return n;
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  // from_chars also reads "nan", "inf" and "infinity": words, not amounts.
  if (!std::isfinite(value)) return std::nullopt;
  n.approximate_ = value;
  return n;
}

std::partial_ordering Number::operator<=>(const Number& other) const {
  if (!exact_ || !other.exact_) {
    const auto as_double = [](const Number& n) {
      if (!n.exact_) return n.approximate_;
      const std::string text = (n.negative_ ? "-" : "") + n.integer_ + "." + n.fraction_ + "0";
      double value = 0;
      std::from_chars(text.data(), text.data() + text.size(), value);
      return value;
    };
    return as_double(*this) <=> as_double(other);
  }
  if (negative_ != other.negative_)
    return negative_ ? std::partial_ordering::less : std::partial_ordering::greater;
  // Same sign: compare magnitudes, then flip for negatives.
  std::strong_ordering magnitude = integer_.size() <=> other.integer_.size();
  if (magnitude == 0) magnitude = integer_ <=> other.integer_;
  if (magnitude == 0) magnitude = fraction_ <=> other.fraction_;
  if (negative_) magnitude = 0 <=> magnitude;
  return magnitude;
}

std::optional<DateTime> DateTime::parse(std::string_view text) {
  text = trim(text);
  DateTime d;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !digits_at(text, 0, 4, d.year_) ||
      !digits_at(text, 5, 2, d.month_) || !digits_at(text, 8, 2, d.day_)) {
    return std::nullopt;
  }
  if (d.month_ < 1 || d.month_ > 12 || d.day_ < 1 || d.day_ > days_in_month(d.year_, d.month_)) {
    return std::nullopt;
  }
  if (text.size() == 10) return d;
  if (text[10] != ' ' && text[10] != 'T') return std::nullopt;
  if (text.size() < 16 || text[13] != ':' || !digits_at(text, 11, 2, d.hour_) ||
      !digits_at(text, 14, 2, d.minute_)) {
    return std::nullopt;
  }
  size_t end = 16;
  if (text.size() >= 19 && text[16] == ':') {
    if (!digits_at(text, 17, 2, d.second_)) return std::nullopt;
    end = 19;
    // Fractions of a second are accepted and ignored: CRM dates have whole seconds.
    if (end < text.size() && text[end] == '.') {
      ++end;
      while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    }
  }
  if (end != text.size() && !(end + 1 == text.size() && text[end] == 'Z')) return std::nullopt;
  if (d.hour_ > 23 || d.minute_ > 59 || d.second_ > 60) return std::nullopt;
  return d;
}

}  // namespace compare_plugin
