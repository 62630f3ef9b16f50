#include "rules/internal/lexer.h"

#include <charconv>

#include "cep/base/decimal.h"
#include "cep/base/time.h"

namespace rules::internal {
namespace {

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

// Words after which an operand (and so a regex, not a division) comes next.
bool ExpectsOperandAfter(std::string_view word) {
  return word == "and" || word == "or" || word == "not" || word == "in" || word == "where" ||
         word == "when" || word == "until";
}

class Lexer {
 public:
  Lexer(std::string_view text, std::vector<Diagnostic>& diagnostics)
      : text_(text), diagnostics_(diagnostics) {}

  LexOutput Run(size_t max_tokens) {
    LexOutput out;
    while (true) {
      SkipSpaceAndComments();
      if (pos_ >= text_.size()) break;
      if (out.tokens.size() >= max_tokens) {
        Error(Span(pos_, 1), "the rule text has more than " + std::to_string(max_tokens) +
                                 " tokens, the limit");
        out.truncated = true;
        break;
      }
      out.tokens.push_back(Next(out.tokens.empty() ? nullptr : &out.tokens.back()));
    }
    Token eof;
    eof.kind = TokenKind::kEof;
    eof.span = Span(text_.size(), 0);
    out.tokens.push_back(eof);
    return out;
  }

 private:
  SourceSpan Span(size_t begin, size_t length) const {
    // Columns are recomputed from the current line start; a token never spans lines
    // except an unterminated one, which is reported at its start.
    SourceSpan span;
    span.line = line_;
    span.col = static_cast<uint32_t>(begin - line_start_ + 1);
    span.offset = static_cast<uint32_t>(begin);
    span.length = static_cast<uint32_t>(length);
    return span;
  }

  void Error(const SourceSpan& span, std::string message) {
    diagnostics_.push_back({span, std::move(message)});
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        return;
      }
    }
  }

  Token Make(TokenKind kind, size_t begin) {
    Token token;
    token.kind = kind;
    token.text = text_.substr(begin, pos_ - begin);
    token.span = Span(begin, pos_ - begin);
    return token;
  }

  Token Fail(size_t begin, std::string message) {
    Token token = Make(TokenKind::kError, begin);
    Error(token.span, std::move(message));
    return token;
  }

  bool SlashIsDivision(const Token* previous) const {
    if (previous == nullptr) return false;
    switch (previous->kind) {
      case TokenKind::kIdent:
        return !ExpectsOperandAfter(previous->text);
      case TokenKind::kInt: case TokenKind::kDecimal: case TokenKind::kString:
      case TokenKind::kDuration: case TokenKind::kRegex: case TokenKind::kRParen:
      case TokenKind::kRBracket:
        return true;
      default:
        return false;
    }
  }

  Token Next(const Token* previous) {
    const size_t begin = pos_;
    const char c = text_[pos_];
    if (IsIdentStart(c)) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
      return Make(TokenKind::kIdent, begin);
    }
    if (IsDigit(c)) return Number(begin);
    if (c == '"') return String(begin);
    if (c == '/' && !SlashIsDivision(previous)) return Regex(begin);
    return Punctuation(begin);
  }

  Token Number(size_t begin) {
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    bool decimal = false;
    // "1..5" is a range: a '.' makes a decimal only when a digit follows.
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && IsDigit(text_[pos_ + 1])) {
      decimal = true;
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    const size_t suffix_begin = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    const std::string_view whole = text_.substr(begin, pos_ - begin);
    const std::string_view suffix = text_.substr(suffix_begin, pos_ - suffix_begin);
    if (!suffix.empty()) {
      if (decimal) {
        return Fail(begin, "'" + std::string(whole) +
                               "' is not a number: a duration is a whole number with a unit "
                               "such as 90s");
      }
      return DurationToken(begin, whole, suffix);
    }
    if (decimal) {
      auto micros = cep::ParseDecimalMicros(whole);
      if (!micros.ok()) return Fail(begin, "invalid decimal: " + micros.error().message());
      Token token = Make(TokenKind::kDecimal, begin);
      token.int_value = *micros;
      return token;
    }
    int64_t value = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (ec != std::errc() || end != whole.data() + whole.size()) {
      return Fail(begin, "integer '" + std::string(whole) + "' is out of range");
    }
    Token token = Make(TokenKind::kInt, begin);
    token.int_value = value;
    return token;
  }

  Token DurationToken(size_t begin, std::string_view whole, std::string_view suffix) {
    if (suffix != "ms" && suffix != "s" && suffix != "m" && suffix != "h" && suffix != "d") {
      return Fail(begin, "unknown unit '" + std::string(suffix) + "' in '" + std::string(whole) +
                             "': expected ms, s, m, h or d");
    }
    auto duration = cep::ParseDuration(whole);
    if (!duration.ok() || duration->is_infinite()) {
      return Fail(begin, "duration '" + std::string(whole) + "' is out of range");
    }
    Token token = Make(TokenKind::kDuration, begin);
    token.int_value = duration->millis();
    return token;
  }

  Token String(size_t begin) {
    ++pos_;  // opening quote
    std::string value;
    bool bad_escape = false;
    while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
        const char escaped = text_[pos_ + 1];
        if (escaped != '"' && escaped != '\\') {
          Error(Span(pos_, 2), "unknown escape '\\" + std::string(1, escaped) +
                                   "' in a string: only \\\" and \\\\ are escapes");
          bad_escape = true;
        }
        value += escaped;
        pos_ += 2;
        continue;
      }
      value += text_[pos_++];
    }
    if (pos_ >= text_.size() || text_[pos_] != '"') {
      return Fail(begin, "unterminated string: expected '\"' before the end of the line");
    }
    ++pos_;
    Token token = Make(bad_escape ? TokenKind::kError : TokenKind::kString, begin);
    token.str = std::move(value);
    return token;
  }

  Token Regex(size_t begin) {
    ++pos_;
    const size_t pattern_begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != '/' && text_[pos_] != '\n') {
      // A backslash keeps the next byte in the pattern, so \/ does not end it.
      pos_ += (text_[pos_] == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ? 2 : 1;
    }
    if (pos_ >= text_.size() || text_[pos_] != '/') {
      return Fail(begin, "unterminated regex: expected '/' before the end of the line");
    }
    const std::string_view pattern = text_.substr(pattern_begin, pos_ - pattern_begin);
    ++pos_;
    const size_t flags_begin = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    const std::string_view flags = text_.substr(flags_begin, pos_ - flags_begin);
    if (pattern.empty()) return Fail(begin, "empty regex: write a pattern between the slashes");
    for (size_t i = 0; i < flags.size(); ++i) {
      const char flag = flags[i];
      if (flag != 'i' && flag != 's' && flag != 'm') {
        return Fail(begin, "unknown regex flag '" + std::string(1, flag) +
                               "': expected i (caseless), s (dot matches newline) or m");
      }
      if (flags.find(flag) != i) {
        return Fail(begin, "regex flag '" + std::string(1, flag) + "' is given twice");
      }
    }
    Token token = Make(TokenKind::kRegex, begin);
    token.str = std::string(pattern);
    token.flags = std::string(flags);
    return token;
  }

  Token Punctuation(size_t begin) {
    const char c = text_[pos_];
    const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    struct Two {
      char first, second;
      TokenKind kind;
    };
    static constexpr Two kTwo[] = {
        {'=', '=', TokenKind::kEq}, {'!', '=', TokenKind::kNe}, {'<', '=', TokenKind::kLe},
        {'>', '=', TokenKind::kGe}, {'!', '~', TokenKind::kNotTilde}, {'.', '.', TokenKind::kDotDot},
    };
    for (const Two& two : kTwo) {
      if (c == two.first && next == two.second) {
        pos_ += 2;
        return Make(two.kind, begin);
      }
    }
    TokenKind kind = TokenKind::kError;
    switch (c) {
      case '(': kind = TokenKind::kLParen; break;
      case ')': kind = TokenKind::kRParen; break;
      case '[': kind = TokenKind::kLBracket; break;
      case ']': kind = TokenKind::kRBracket; break;
      case '{': kind = TokenKind::kLBrace; break;
      case '}': kind = TokenKind::kRBrace; break;
      case ',': kind = TokenKind::kComma; break;
      case ':': kind = TokenKind::kColon; break;
      case '.': kind = TokenKind::kDot; break;
      case '=': kind = TokenKind::kAssign; break;
      case '<': kind = TokenKind::kLt; break;
      case '>': kind = TokenKind::kGt; break;
      case '~': kind = TokenKind::kTilde; break;
      case '+': kind = TokenKind::kPlus; break;
      case '-': kind = TokenKind::kMinus; break;
      case '*': kind = TokenKind::kStar; break;
      case '/': kind = TokenKind::kSlash; break;
      case '%': kind = TokenKind::kPercent; break;
      default: break;
    }
    ++pos_;
    if (kind != TokenKind::kError) return Make(kind, begin);
    if (c == '!') return Fail(begin, "unexpected '!': write '!=', '!~' or 'not'");
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      return Fail(begin, "unexpected character '" + std::string(1, c) + "'");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    return Fail(begin, std::string("unexpected byte 0x") + kHex[byte >> 4] + kHex[byte & 15]);
  }

  std::string_view text_;
  std::vector<Diagnostic>& diagnostics_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace

LexOutput Lex(std::string_view text, size_t max_tokens, std::vector<Diagnostic>& diagnostics) {
  return Lexer(text, diagnostics).Run(max_tokens);
}

std::string Describe(const Token& token) {
  if (token.kind == TokenKind::kEof) return "end of input";
  constexpr size_t kMaxShown = 40;
  if (token.text.size() > kMaxShown) return "'" + std::string(token.text.substr(0, kMaxShown)) + "...'";
  return "'" + std::string(token.text) + "'";
}

}  // namespace rules::internal
