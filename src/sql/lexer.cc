#include "sql/lexer.h"

#include <cctype>
#include <cstdio>

namespace sluice::sql {

bool Token::Is(std::string_view kw) const {
  if (kind != Tok::kWord || text.size() != kw.size()) return false;
  for (size_t i = 0; i < kw.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(text[i])) != kw[i]) return false;
  return true;
}

const char* TokName(Tok kind) {
  switch (kind) {
    case Tok::kEnd:
      return "end of input";
    case Tok::kWord:
      return "a name";
    case Tok::kQuotedIdent:
      return "a quoted name";
    case Tok::kString:
      return "a string";
    case Tok::kDqString:
      return "a string";
    case Tok::kInteger:
      return "an integer";
    case Tok::kNumber:
      return "a number";
    case Tok::kLParen:
      return "'('";
    case Tok::kRParen:
      return "')'";
    case Tok::kComma:
      return "','";
    case Tok::kSemicolon:
      return "';'";
    case Tok::kDot:
      return "'.'";
    case Tok::kStar:
      return "'*'";
    case Tok::kPlus:
      return "'+'";
    case Tok::kMinus:
      return "'-'";
    case Tok::kSlash:
      return "'/'";
    case Tok::kPercent:
      return "'%'";
    case Tok::kEq:
      return "'='";
    case Tok::kEqEq:
      return "'=='";
    case Tok::kNotEq:
      return "'!='";
    case Tok::kLt:
      return "'<'";
    case Tok::kLe:
      return "'<='";
    case Tok::kGt:
      return "'>'";
    case Tok::kGe:
      return "'>='";
    case Tok::kAt:
      return "'@'";
    case Tok::kColon:
      return "':'";
    case Tok::kLBracket:
      return "'['";
    case Tok::kRBracket:
      return "']'";
    case Tok::kLBrace:
      return "'{'";
    case Tok::kRBrace:
      return "'}'";
    case Tok::kBang:
      return "'!'";
    case Tok::kArrow:
      return "'->'";
    case Tok::kConcat:
      return "'||'";
    case Tok::kHash:
      return "'#'";
    case Tok::kQuestion:
      return "'?'";
    case Tok::kInvalid:
      return "an invalid character";
  }
  return "?";
}

namespace {

class Lexer {
 public:
  Lexer(std::string_view src, Diagnostics* diags) : src_(src), diags_(diags) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    // A UTF-8 byte-order mark (as some editors write) is not part of the app.
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    while (true) {
      SkipSpaceAndComments();
      Token t;
      t.loc = {line_, col_};
      size_t start = pos_;
      if (pos_ >= src_.size()) {
        t.kind = Tok::kEnd;
        out.push_back(std::move(t));
        return out;
      }
      char c = src_[pos_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (pos_ < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_'))
          Advance();
        t.kind = Tok::kWord;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && pos_ + 1 < src_.size() &&
                  std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])))) {
        LexNumber(&t);
      } else if (c == '\'' || c == '"' || c == '`') {
        LexQuoted(&t, c);
      } else {
        LexSymbol(&t);
      }
      t.text = src_.substr(start, pos_ - start);
      out.push_back(std::move(t));
    }
  }

 private:
  // Columns count characters: the continuation bytes of a UTF-8 sequence take no column.
  void Advance() {
    unsigned char c = static_cast<unsigned char>(src_[pos_]);
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++col_;
    }
    ++pos_;
  }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  void SkipSpaceAndComments() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        Advance();
      } else if (c == '-' && Peek(1) == '-') {
        while (pos_ < src_.size() && src_[pos_] != '\n') Advance();
      } else if (c == '/' && Peek(1) == '*') {
        Loc start{line_, col_};
        Advance(), Advance();
        while (pos_ < src_.size() && !(src_[pos_] == '*' && Peek(1) == '/')) Advance();
        if (pos_ >= src_.size()) {
          diags_->Error(start, "unterminated comment: '/*' has no closing '*/'");
          return;
        }
        Advance(), Advance();
      } else {
        return;
      }
    }
  }

  void LexNumber(Token* t) {
    bool is_float = false;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
    if (Peek() == '.' && std::isdigit(static_cast<unsigned char>(Peek(1)))) {
      is_float = true;
      Advance();
      while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
    } else if (Peek() == '.' && !std::isalpha(static_cast<unsigned char>(Peek(1)))) {
      is_float = true;  // "100." is a number
      Advance();
    }
    if ((Peek() == 'e' || Peek() == 'E') && (std::isdigit(static_cast<unsigned char>(Peek(1))) ||
                                             ((Peek(1) == '+' || Peek(1) == '-') &&
                                              std::isdigit(static_cast<unsigned char>(Peek(2)))))) {
      is_float = true;
      Advance(), Advance();
      while (std::isdigit(static_cast<unsigned char>(Peek()))) Advance();
    }
    // Siddhi-style type suffixes: 10L, 1.5f, 2d.
    char s = Peek();
    if ((s == 'L' || s == 'l' || s == 'f' || s == 'F' || s == 'd' || s == 'D') &&
        !std::isalnum(static_cast<unsigned char>(Peek(1))) && Peek(1) != '_') {
      Advance();
    }
    t->kind = is_float ? Tok::kNumber : Tok::kInteger;
  }

  void LexQuoted(Token* t, char quote) {
    Loc start{line_, col_};
    Advance();
    std::string value;
    while (true) {
      if (pos_ >= src_.size()) {
        diags_->Error(start, std::string("unterminated ") +
                                 (quote == '`' ? "quoted name" : "string") + ": missing closing " +
                                 quote);
        break;
      }
      char c = src_[pos_];
      if (c == quote) {
        if (Peek(1) == quote) {  // doubled quote escapes itself
          value.push_back(c);
          Advance(), Advance();
          continue;
        }
        Advance();
        break;
      }
      if (c == '\\' && quote != '`' && pos_ + 1 < src_.size()) {
        // \n \t \r, an escaped quote or backslash; any other escape (LIKE's \% and \_) is kept
        // as written, for the function that reads it.
        char n = src_[pos_ + 1];
        if (n == 'n' || n == 't' || n == 'r' || n == '\\' || n == '\'' || n == '"') {
          value.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n);
        } else {
          value.push_back(c);
          value.push_back(n);
        }
        Advance(), Advance();
        continue;
      }
      value.push_back(c);
      Advance();
    }
    t->kind = quote == '\'' ? Tok::kString : quote == '"' ? Tok::kDqString : Tok::kQuotedIdent;
    t->value = std::move(value);
  }

  void LexSymbol(Token* t) {
    char c = src_[pos_];
    char n = Peek(1);
    auto two = [&](Tok k) {
      Advance(), Advance();
      t->kind = k;
    };
    auto one = [&](Tok k) {
      Advance();
      t->kind = k;
    };
    switch (c) {
      case '(':
        return one(Tok::kLParen);
      case ')':
        return one(Tok::kRParen);
      case ',':
        return one(Tok::kComma);
      case ';':
        return one(Tok::kSemicolon);
      case '.':
        return one(Tok::kDot);
      case '*':
        return one(Tok::kStar);
      case '+':
        return one(Tok::kPlus);
      case '-':
        return n == '>' ? two(Tok::kArrow) : one(Tok::kMinus);
      case '/':
        return one(Tok::kSlash);
      case '%':
        return one(Tok::kPercent);
      case '=':
        return n == '=' ? two(Tok::kEqEq) : one(Tok::kEq);
      case '!':
        return n == '=' ? two(Tok::kNotEq) : one(Tok::kBang);
      case '<':
        if (n == '=') return two(Tok::kLe);
        if (n == '>') return two(Tok::kNotEq);
        return one(Tok::kLt);
      case '>':
        return n == '=' ? two(Tok::kGe) : one(Tok::kGt);
      case '@':
        return one(Tok::kAt);
      case ':':
        return one(Tok::kColon);
      case '[':
        return one(Tok::kLBracket);
      case ']':
        return one(Tok::kRBracket);
      case '{':
        return one(Tok::kLBrace);
      case '}':
        return one(Tok::kRBrace);
      case '#':
        return one(Tok::kHash);
      case '?':
        return one(Tok::kQuestion);
      case '|':
        if (n == '|') return two(Tok::kConcat);
        break;
      default:
        break;
    }
    diags_->Error({line_, col_}, "unexpected character " + DescribeChar());
    // A multi-byte character is one error, not one per byte.
    Advance();
    while (pos_ < src_.size() && (static_cast<unsigned char>(src_[pos_]) & 0xC0) == 0x80) Advance();
    t->kind = Tok::kInvalid;
  }

  // The character at pos_ for a message: 'x', or its code when it would not print.
  std::string DescribeChar() const {
    unsigned char c = static_cast<unsigned char>(src_[pos_]);
    char hex[16];
    if (c < 0x20 || c == 0x7F) {
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      return std::string(hex) + (c == 0 ? " (a NUL byte)" : " (a control character)");
    }
    if (c < 0x80) return std::string("'") + static_cast<char>(c) + "'";
    size_t n = 1;
    while (pos_ + n < src_.size() && (static_cast<unsigned char>(src_[pos_ + n]) & 0xC0) == 0x80)
      ++n;
    std::snprintf(hex, sizeof hex, "0x%02X", c);
    if (n == 1 || (c & 0xC0) != 0xC0) return std::string(hex) + " (not UTF-8 text)";
    return "'" + std::string(src_.substr(pos_, n)) + "'";
  }

  std::string_view src_;
  Diagnostics* diags_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

}  // namespace

std::vector<Token> Lex(std::string_view source, Diagnostics* diags) {
  return Lexer(source, diags).Run();
}

}  // namespace sluice::sql
