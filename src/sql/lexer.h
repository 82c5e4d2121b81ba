// Tokens of the dialect. Keywords are not distinguished here: every word is a kWord and the parser
// decides, case-insensitively, whether it acts as a keyword where it stands (so `timestamp`,
// `value` or `sum` can name attributes).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/diagnostics.h"

namespace sluice::sql {

enum class Tok {
  kEnd,
  kWord,         // identifier or keyword
  kQuotedIdent,  // `backquoted`
  kString,       // 'single quoted'
  kDqString,     // "double quoted": a string in WITH options and Siddhi-style literals
  kInteger,
  kNumber,  // with a fraction or exponent
  kLParen,
  kRParen,
  kComma,
  kSemicolon,
  kDot,
  kStar,
  kPlus,
  kMinus,
  kSlash,
  kPercent,
  kEq,
  kEqEq,
  kNotEq,
  kLt,
  kLe,
  kGt,
  kGe,
  kAt,
  kColon,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kBang,
  kArrow,
  kConcat,  // ||
  kHash,
  kQuestion,
  kInvalid,  // a character the lexer reported; the parser rejects it without a second message
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // as written
  std::string value;      // unescaped contents of strings and quoted identifiers
  Loc loc;
  int length() const { return static_cast<int>(text.size()); }
  // True when this is the word `kw` (kw given in upper case).
  bool Is(std::string_view kw) const;
};

// Splits `source` into tokens, ending with one kEnd token. Lexical errors (an unterminated string,
// a stray character) are reported to `diags`; lexing goes on after them.
std::vector<Token> Lex(std::string_view source, Diagnostics* diags);

const char* TokName(Tok kind);

}  // namespace sluice::sql
