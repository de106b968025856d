// Formatting rules of the phone client: money in fen, Shanghai business dates, names.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as F from "../../../mobile_web/js/format.js";

test("yuan shows fen as 元 with separators and cents only when there are any", () => {
  assert.equal(F.yuan(0), "0");
  assert.equal(F.yuan(5), "0.05");
  assert.equal(F.yuan(102954), "1,029.54");
  assert.equal(F.yuan(3116100), "31,161");
  assert.equal(F.yuan(123456789012), "1,234,567,890.12");
  assert.equal(F.yuan(-150050), "-1,500.50");
});

test("yuan refuses what is not an integer number of fen", () => {
  assert.equal(F.yuan(1.5), "—");
  assert.equal(F.yuan("100"), "—");
  assert.equal(F.yuan(null), "—");
  assert.equal(F.yuan(2 ** 60), "—");
});

test("money puts the sign before the currency symbol", () => {
  assert.equal(F.money(390697), "¥3,906.97");
  assert.equal(F.money(-2500), "-¥25");
});

test("moneyShort writes 万 for large amounts and rounds half up", () => {
  assert.equal(F.moneyShort(999999), "¥9,999.99");
  assert.equal(F.moneyShort(3116100), "¥3.12万");
  assert.equal(F.moneyShort(1000000), "¥1万");
  assert.equal(F.moneyShort(1235000), "¥1.24万");
  assert.equal(F.moneyShort(-2000000), "-¥2万");
});

test("percent and bar width read the server's decimal strings", () => {
  assert.equal(F.percent("26.4"), "26.4%");
  assert.equal(F.percent(null), "—");
  assert.equal(F.barWidth("141.3"), 100);
  assert.equal(F.barWidth("26.4"), 26.4);
  assert.equal(F.barWidth(null), 0);
});

test("hours drop trailing zeros", () => {
  assert.equal(F.hours("1.50"), "1.5");
  assert.equal(F.hours("2.00"), "2");
  assert.equal(F.hours("0.25"), "0.25");
  assert.equal(F.hours("10"), "10");
});

test("the business date is Shanghai's, which is UTC+8 all year", () => {
  assert.equal(F.shanghaiDate(Date.parse("2026-11-17T15:59:59Z")), "2026-11-17");
  assert.equal(F.shanghaiDate(Date.parse("2026-11-17T16:00:00Z")), "2026-11-18");
  assert.equal(F.shanghaiDate(Date.parse("2026-07-01T00:00:00Z")), "2026-07-01");
});

test("date arithmetic crosses months, years and leap days", () => {
  assert.equal(F.addDays("2026-11-30", 1), "2026-12-01");
  assert.equal(F.addDays("2026-12-31", 1), "2027-01-01");
  assert.equal(F.addDays("2028-02-28", 1), "2028-02-29");
  assert.equal(F.addDays("2026-03-01", -1), "2026-02-28");
  assert.equal(F.daysBetween("2026-11-12", "2026-11-18"), 6);
  assert.equal(F.daysBetween("2026-11-18", "2026-11-12"), -6);
});

test("weeks start on Monday", () => {
  assert.equal(F.weekday("2026-11-18"), "周三");
  assert.equal(F.mondayOf("2026-11-18"), "2026-11-16");
  assert.equal(F.mondayOf("2026-11-16"), "2026-11-16");
  assert.equal(F.mondayOf("2026-11-22"), "2026-11-16");
  assert.equal(F.mondayOf("2027-01-01"), "2026-12-28");
});

test("isIsoDate accepts real calendar dates only", () => {
  assert.ok(F.isIsoDate("2028-02-29"));
  assert.ok(!F.isIsoDate("2026-02-29"));
  assert.ok(!F.isIsoDate("2026-13-01"));
  assert.ok(!F.isIsoDate("2026-1-01"));
  assert.ok(!F.isIsoDate(""));
  assert.ok(!F.isIsoDate(undefined));
});

test("day and due labels are relative to the business day", () => {
  const today = "2026-11-18";
  assert.equal(F.dayLabel(today, today), "今天");
  assert.equal(F.dayLabel("2026-11-19", today), "明天");
  assert.equal(F.dayLabel("2026-11-17", today), "昨天");
  assert.equal(F.dayLabel("2026-11-20", today), "11月20日 周五");
  assert.equal(F.dayLabel("2025-11-20", today), "2025年11月20日 周四");
  assert.equal(F.dueLabel("2026-11-12", today), "逾期 6 天");
  assert.equal(F.dueLabel(today, today), "今天到期");
  assert.equal(F.dueLabel("2026-11-21", today), "3 天后");
});

test("instants read as Shanghai wall-clock time", () => {
  assert.equal(F.instantLabel("2026-11-18T02:00:12Z"), "11月18日 10:00");
  assert.equal(F.instantLabel("2026-11-17T16:30:00+00:00"), "11月18日 00:30");
  assert.equal(F.instantLabel("not a date"), "");
});

test("ago counts back in words", () => {
  const now = Date.parse("2026-11-18T02:00:00Z");
  assert.equal(F.ago(now - 20000, now), "刚刚");
  assert.equal(F.ago(now - 5 * 60000, now), "5 分钟前");
  assert.equal(F.ago(now - 3 * 3600000, now), "3 小时前");
  assert.equal(F.ago(now - 2 * 86400000, now), "2 天前");
});

test("tel links keep digits and a leading plus only", () => {
  assert.equal(F.telHref("151 6740-9318"), "tel:15167409318");
  assert.equal(F.telHref("+86 (151) 6740 9318"), "tel:+8615167409318");
  assert.equal(F.telHref("javascript:alert(1)"), "");
  assert.equal(F.telHref(""), "");
});

test("names: roles, stars, device names", () => {
  assert.equal(F.roleNames(["manager", "teacher"]), "校长、教师");
  assert.equal(F.stars(4), "★★★★☆");
  assert.equal(F.stars(9), "★★★★★");
  assert.equal(
    F.deviceName("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"),
    "Android 手机 · Chrome",
  );
  assert.equal(
    F.deviceName("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"),
    "iPhone · Safari",
  );
  assert.equal(F.deviceName("Mozilla/5.0 (iPhone) MicroMessenger/8.0"), "iPhone · 微信");
  assert.equal(F.deviceName(""), "手机");
});

test("isPhone accepts what the server's check_phone accepts", () => {
  for (const ok of ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678",
    "8613812345678", "0571-88886666", "010 6666 8888", "(0571)88886666", "0571-88886666转123"]) {
    assert.equal(F.isPhone(ok), true, ok);
  }
  for (const bad of ["", "12345", "23812345678", "+1 (415) 555-0100", "0571-1234", "call me",
    "1381234567"]) {
    assert.equal(F.isPhone(bad), false, bad);
  }
});
