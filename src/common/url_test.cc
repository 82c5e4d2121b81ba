#include "common/url.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(UrlTest, PartsOfAFullUrl) {
  Result<Url> u = ParseUrl("Redis://app:s3cret@cache.local:6380/2?x=1");
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->scheme, "redis");
  EXPECT_EQ(u->user, "app");
  EXPECT_EQ(u->password, "s3cret");
  EXPECT_EQ(u->host, "cache.local");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->path, "/2?x=1");
  EXPECT_EQ(RedactedUrl(*u), "redis://app:***@cache.local:6380/2?x=1");
}

TEST(UrlTest, Ipv6HostsAndDefaults) {
  Result<Url> u = ParseUrl("http://[::1]:8080");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->path, "");
  EXPECT_EQ(RedactedUrl(*u), "http://[::1]:8080");
  Result<Url> plain = ParseUrl("postgresql://db");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 0);
}

TEST(UrlTest, ErrorsSayWhatIsWrongAndHideThePassword) {
  EXPECT_NE(ParseUrl("localhost:6379").status().message().find("is not a URL"), std::string::npos);
  EXPECT_NE(ParseUrl("redis://:6379").status().message().find("names no host"), std::string::npos);
  std::string bad = ParseUrl("redis://u:topsecret@h:99999").status().message();
  EXPECT_NE(bad.find("port '99999' is not a number from 1 to 65535"), std::string::npos) << bad;
  EXPECT_EQ(bad.find("topsecret"), std::string::npos) << bad;
  EXPECT_NE(ParseUrl("http://[::1").status().message().find("unclosed '['"), std::string::npos);
}

}  // namespace
}  // namespace sluice
