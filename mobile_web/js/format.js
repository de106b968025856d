// Pure formatting: money in fen, business dates in Asia/Shanghai, the domain's Chinese names.
// No DOM here, so node --test can check every rule.

const DAY_MS = 86400000;
// Shanghai has had no daylight saving since 1991: local time is UTC+8 all year.
const SHANGHAI_OFFSET_MS = 8 * 3600000;

/** Integer fen as 元 with thousands separators; cents only when there are any. */
export function yuan(fen) {
  if (!Number.isSafeInteger(fen)) return "—";
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const cents = abs % 100;
  return sign + whole + (cents ? "." + String(cents).padStart(2, "0") : "");
}

/** Integer fen as "¥1,234.50" ("-¥…" when negative). */
export function money(fen) {
  const text = yuan(fen);
  if (text === "—") return text;
  return text.startsWith("-") ? "-¥" + text.slice(1) : "¥" + text;
}

/** Large amounts the short way for tight spots: "3.12万" from 3,116,100 fen; else money(). */
export function moneyShort(fen) {
  if (!Number.isSafeInteger(fen)) return "—";
  const abs = Math.abs(fen);
  if (abs < 1000000) return money(fen);
  // 1 万元 = 1,000,000 fen; two decimals, rounded half up on the integer.
  const hundredths = Math.floor((abs + 5000) / 10000);
  const text = `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}万`;
  return (fen < 0 ? "-¥" : "¥") + text.replace(/\.00万$/, "万");
}

/** A decimal percent string from the server ("26.4") as "26.4%"; null as "—". */
export function percent(value) {
  if (value === null || value === undefined || value === "") return "—";
  return `${value}%`;
}

/** A width for a progress bar, 0–100, from a decimal percent string. */
export function barWidth(value) {
  const n = Number.parseFloat(value);
  if (!Number.isFinite(n) || n < 0) return 0;
  return Math.min(100, n);
}

/** Lesson hours ("1.50") without trailing zeros: "1.5". */
export function hours(value) {
  const n = String(value ?? "");
  if (!/^-?\d+(\.\d+)?$/.test(n)) return n;
  return n.includes(".") ? n.replace(/\.?0+$/, "") : n;
}

// ------------------------------------------------------------------ dates

/** The Shanghai business date (YYYY-MM-DD) of an instant in epoch milliseconds. */
export function shanghaiDate(ms) {
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

function dayNumber(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

function fromDayNumber(n) {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text) {
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  return fromDayNumber(dayNumber(text)) === text;
}

/** The date ``n`` days after ``iso`` (before, when negative). */
export function addDays(iso, n) {
  return fromDayNumber(dayNumber(iso) + n);
}

/** Whole days from ``a`` to ``b`` (positive when b is later). */
export function daysBetween(a, b) {
  return dayNumber(b) - dayNumber(a);
}

const WEEKDAYS = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];

/** 周一…周日 of a date. */
export function weekday(iso) {
  return WEEKDAYS[new Date(dayNumber(iso) * DAY_MS).getUTCDay()];
}

/** The Monday of the calendar week holding ``iso``. */
export function mondayOf(iso) {
  const dow = new Date(dayNumber(iso) * DAY_MS).getUTCDay(); // 0 = Sunday
  return addDays(iso, -((dow + 6) % 7));
}

/** "11月18日" (with the year when it is not ``thisYear``). */
export function shortDate(iso, thisYear) {
  if (!isIsoDate(iso)) return "";
  const [y, m, d] = iso.split("-").map(Number);
  const md = `${m}月${d}日`;
  return thisYear && y !== Number(thisYear) ? `${y}年${md}` : md;
}

/** 今天 / 明天 / 昨天, or "11月20日 周五", relative to ``today``. */
export function dayLabel(iso, today) {
  const diff = daysBetween(today, iso);
  if (diff === 0) return "今天";
  if (diff === 1) return "明天";
  if (diff === -1) return "昨天";
  return `${shortDate(iso, today.slice(0, 4))} ${weekday(iso)}`;
}

/** "逾期 6 天" / "今天到期" / "3 天后" for a due date. */
export function dueLabel(due, today) {
  const diff = daysBetween(today, due);
  if (diff < 0) return `逾期 ${-diff} 天`;
  if (diff === 0) return "今天到期";
  if (diff === 1) return "明天到期";
  return `${diff} 天后`;
}

/** "刚刚", "5 分钟前", "3 小时前", "2 天前" between two instants (ms). */
export function ago(thenMs, nowMs) {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000));
  if (s < 60) return "刚刚";
  if (s < 3600) return `${Math.floor(s / 60)} 分钟前`;
  if (s < 86400) return `${Math.floor(s / 3600)} 小时前`;
  return `${Math.floor(s / 86400)} 天前`;
}

/** "2026-11-18T02:00:00Z" as the Shanghai wall clock "11月18日 10:00". */
export function instantLabel(isoInstant) {
  const ms = Date.parse(isoInstant);
  if (!Number.isFinite(ms)) return "";
  const local = new Date(ms + SHANGHAI_OFFSET_MS).toISOString();
  return `${shortDate(local.slice(0, 10))} ${local.slice(11, 16)}`;
}

// ------------------------------------------------------------------ names

export const ROLE_NAMES = {
  manager: "校长",
  front_desk: "前台",
  consultant: "课程顾问",
  teacher: "教师",
};

export function roleNames(roles) {
  return (roles || []).map((r) => ROLE_NAMES[r] || r).join("、");
}

export const ATTENDANCE = [
  ["present", "出勤"],
  ["leave", "请假"],
  ["absent", "旷课"],
  ["makeup", "补课"],
];

export const TRIAL_STATUS = [
  ["held", "已试听"],
  ["no_show", "未到"],
  ["cancelled", "取消"],
];
export const TRIAL_STATUS_NAMES = { scheduled: "已约", ...Object.fromEntries(TRIAL_STATUS) };

export const TRIAL_OUTCOME = [
  ["pending", "跟进中"],
  ["signed", "已签单"],
  ["not_signed", "未签单"],
];
export const TRIAL_OUTCOME_NAMES = Object.fromEntries(TRIAL_OUTCOME);

export const SIGN_TYPE_NAMES = {
  new: "新签",
  renewal: "续费",
  referral: "转介绍",
  cross_sell: "扩科",
  refund: "退费",
};

export const STUDENT_STATUS_NAMES = {
  lead: "线索",
  trial: "试听",
  enrolled: "在读",
  paused: "停课",
  churned: "流失",
};

export const CHANNELS = ["电话", "微信", "面谈", "其他"];

export const RATINGS = [
  ["progress", "教程进度"],
  ["focus", "专注持久"],
  ["performance", "课堂表现"],
  ["learning_ability", "学习能力"],
  ["mastery", "掌握情况"],
];

export const PARENT_FIELDS = [
  ["name", "姓名"],
  ["phone", "电话"],
  ["phone2", "备用电话"],
  ["wechat", "微信"],
  ["notes", "备注"],
];

/** "★★★★☆" for a rating of 4 out of 5. */
export function stars(n) {
  const k = Math.max(0, Math.min(5, Number(n) || 0));
  return "★".repeat(k) + "☆".repeat(5 - k);
}

export const PHONE_HINT = "请输入 11 位手机号（如 13812345678）或带区号的固定电话（如 0571-88886666）";

/**
 * Whether ``text`` is a number the server accepts (shared.services.common.check_phone): a
 * mainland mobile, optionally +86/0086/86 in front, or a landline with its area code and an
 * optional extension; spaces, "-" and brackets as people type them.
 */
export function isPhone(text) {
  const raw = String(text || "").trim();
  let compact = raw.replace(/[\s\-()（）]/g, "");
  if (compact.startsWith("+86")) compact = compact.slice(3);
  else if (compact.startsWith("0086")) compact = compact.slice(4);
  else if (compact.startsWith("86") && compact.length === 13) compact = compact.slice(2);
  if (/^1[3-9]\d{9}$/.test(compact)) return true;
  const landline = raw.replace(/[\s()（）]/g, "").toLowerCase();
  return /^(010|02\d|0[3-9]\d{2})-?[2-9]\d{6,7}(?:(?:-|转|ext\.?)\d{1,6})?$/.test(landline);
}

/** A phone number as a tel: URI (digits and a leading + only), or "" when there is none. */
export function telHref(phone) {
  const digits = String(phone || "").replace(/[^\d+]/g, "").replace(/(?!^)\+/g, "");
  return /\d{3,}/.test(digits) ? `tel:${digits}` : "";
}

/** A readable device name from a user agent ("Android 手机 · Chrome"). */
export function deviceName(ua) {
  const text = String(ua || "");
  let os = "手机";
  if (/iPad/.test(text)) os = "iPad";
  else if (/iPhone|iPod/.test(text)) os = "iPhone";
  else if (/Android/.test(text)) os = "Android 手机";
  else if (/Windows/.test(text)) os = "Windows 电脑";
  else if (/Mac OS X/.test(text)) os = "Mac";
  else if (/Linux/.test(text)) os = "Linux";
  let browser = "";
  if (/MicroMessenger/.test(text)) browser = "微信";
  else if (/EdgA?\//.test(text)) browser = "Edge";
  else if (/HuaweiBrowser/.test(text)) browser = "华为浏览器";
  else if (/MiuiBrowser/.test(text)) browser = "小米浏览器";
  else if (/UCBrowser/.test(text)) browser = "UC";
  else if (/QQBrowser/.test(text)) browser = "QQ浏览器";
  else if (/Firefox|FxiOS/.test(text)) browser = "Firefox";
  else if (/Chrome|CriOS|Chromium/.test(text)) browser = "Chrome";
  else if (/Safari/.test(text)) browser = "Safari";
  return browser ? `${os} · ${browser}` : os;
}
