// The only module that touches the DOM (TodoMVC's view). Screens are built from elements
// with h(); every piece of text — above all anything a person typed — goes in as a text node,
// never as markup. The controller passes data and "intents" (callbacks); the view calls them.

import * as F from "./format.js";

const $ = (id) => document.getElementById(id);

/** Build an element: props are attributes (on* are listeners), children text or nodes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (["value", "checked", "disabled", "hidden", "required", "defaultValue"].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === "") continue;
    el.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

const text = (tag, cls, value) => h(tag, { class: cls }, value);

// ------------------------------------------------------------------ shell

let current = { key: "", form: null };

// A finger on the screen: from pointerdown until its click has run (or the gesture turned
// into a scroll). Replacing the screen meanwhile would take the button from under the finger
// and the tap would land on nothing, so the controller holds its redraws until the tap ends.
let pressed = false;
let releasing = false;
let releaseTimer = null;
let afterTap = [];
const HOLD_AT_MOST_MS = 8000;

function endTap(delay) {
  clearTimeout(releaseTimer);
  const finish = () => {
    pressed = releasing = false;
    const run = afterTap;
    afterTap = [];
    for (const fn of run) fn();
  };
  if (delay) {
    releaseTimer = setTimeout(finish, delay);
    return;
  }
  // The tap is over: the click's own redraws paint at once, held ones in the next task.
  pressed = releasing = false;
  releaseTimer = setTimeout(finish, 0);
}

/** Whether a tap is under way (a redraw now could swallow it). */
export function tapping() {
  return pressed || releasing;
}

/** Run ``fn`` once the tap under way has ended (its click handlers have run). */
export function whenTapEnds(fn) {
  if (!afterTap.includes(fn)) afterTap.push(fn);
}

export function initShell({ onProblems, onOutbox }) {
  $("problems-badge").addEventListener("click", onProblems);
  $("outbox-badge").addEventListener("click", onOutbox);
  const opts = { capture: true, passive: true };
  window.addEventListener("pointerdown", (e) => {
    if (!e.isPrimary) return;
    pressed = true;
    releasing = false;
    // A press that never ends (the page lost the pointer) must not hold the screen for ever.
    endTap(HOLD_AT_MOST_MS);
  }, opts);
  window.addEventListener("blur", () => {
    if (pressed || releasing) endTap(0);
  });
  // The click of a tap comes after pointerup, in a later task on touch screens: wait for it,
  // but not for ever (a press that moved off its button sends no click).
  window.addEventListener("pointerup", (e) => {
    if (!e.isPrimary || !pressed) return;
    pressed = false;
    releasing = true;
    endTap(400);
  }, opts);
  window.addEventListener("pointercancel", () => {
    if (pressed || releasing) endTap(0);
  }, opts);
  // Capture phase: the held redraw runs in a task after every handler of this click.
  window.addEventListener("click", () => {
    if (pressed || releasing) endTap(0);
  }, opts);
}

/** Show or hide the header badges and the tab bar (hidden on the login screen). */
export function setShell(loggedIn) {
  document.body.classList.toggle("logged-out", !loggedIn);
}

export function setTitle(title, tab) {
  $("title").textContent = title;
  document.title = `${title} · 达标`;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

export function setBadges(pending, problems) {
  const outbox = $("outbox-badge");
  outbox.hidden = pending === 0;
  outbox.textContent = `待同步 ${pending}`;
  outbox.setAttribute("aria-label", `${pending} 条记录等待同步`);
  const bad = $("problems-badge");
  bad.hidden = problems === 0;
  bad.textContent = `需处理 ${problems}`;
  bad.setAttribute("aria-label", `${problems} 条记录需要处理`);
}

export function setOnline(online) {
  $("conn").hidden = online;
}

let toastTimer = null;
export function toast(message) {
  const el = $("toast");
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.textContent = "";
  }, 2600);
}

/** Put a screen in place; a refresh of the same screen keeps the scroll position. */
function mount(key, ...nodes) {
  const main = $("main");
  const same = current.key === key;
  const y = window.scrollY;
  main.replaceChildren(...nodes.flat().filter(Boolean));
  main.dataset.screen = key.split(":")[0];
  current = { key, form: main.querySelector("form") };
  if (same) window.scrollTo(0, y);
  else {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
}

/**
 * Whether the person is using the form on screen: typed into it, or has a field focused (a
 * redraw would drop the focus, close the keyboard and lose what is typed next). A refresh
 * must not replace such a form.
 */
export function formDirty() {
  const form = current.form;
  return Boolean(form && (form.dataset.dirty || form.contains(document.activeElement)));
}

function watchDirty(form) {
  const mark = () => {
    form.dataset.dirty = "1";
  };
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  return form;
}

export function loading(key) {
  mount(key, h("p", { class: "empty", role: "status" }, "正在加载…"));
}

export function failed(key, message, retry) {
  mount(key, h("div", { class: "empty", role: "alert" }, h("p", null, message), button("重试", retry)));
}

function button(label, onclick, cls = "btn", extra = {}) {
  return h("button", { type: "button", class: cls, onclick, ...extra }, label);
}

function link(label, href, cls = "btn") {
  return h("a", { class: cls, href }, label);
}

function chip(label, kind = "") {
  return h("span", { class: `chip ${kind}`.trim() }, label);
}

function pendingChip(pending) {
  return pending ? chip("待同步", "pending") : null;
}

function section(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", null, title) : null, ...children);
}

function staleNote(meta) {
  if (!meta || !meta.offline) return null;
  const when = meta.fetchedAt ? F.ago(meta.fetchedAt, Date.now()) : "上次";
  return h("p", { class: "stale", role: "status" }, `连不上前台电脑，显示的是${when}取到的数据`);
}

function empty(message) {
  return h("p", { class: "empty" }, message);
}

function field(label, control, hint) {
  const id = control.id || `f${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", null, hint) : null);
}

/** A row of radio buttons drawn as segments (one fieldset, a legend, real radios). */
function segments(name, legend, options, selected, { onchange, disabled, hideLegend } = {}) {
  return h(
    "fieldset",
    { class: "seg", disabled },
    h("legend", { class: hideLegend ? "sr" : null }, legend),
    h(
      "div",
      { class: "seg-row" },
      options.map(([value, label]) =>
        h(
          "label",
          null,
          h("input", { type: "radio", name, value, checked: value === selected, onchange }),
          h("span", null, label),
        ),
      ),
    ),
  );
}

function searchBox(label, value, oninput) {
  return h("input", {
    type: "search",
    class: "search",
    placeholder: label,
    "aria-label": label,
    value,
    oninput: (e) => oninput(e.target.value),
  });
}

/** The first rows of a long list and a button for the next page. */
function paged(items, shown, renderRow, more) {
  const list = h("ul", { class: "list" }, items.slice(0, shown).map(renderRow));
  const left = items.length - shown;
  return [list, left > 0 ? button(`显示更多（还有 ${left} 条）`, more, "btn ghost wide") : null];
}

function submitBar(label, busy) {
  return h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary wide", disabled: busy }, label));
}

function formError() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

function showFormError(form, message) {
  const el = form.querySelector(".error");
  el.textContent = message;
  el.hidden = !message;
  if (message) el.scrollIntoView({ block: "center" });
}

// ------------------------------------------------------------------ login

export function login(state, intents) {
  const { campuses, candidates, picked, error, filter, lockedUntil, busy, pairing } = state;
  const head = h(
    "div",
    { class: "brand" },
    h("h2", null, "达标"),
    h("p", null, campuses && campuses.length ? campuses.join("、") : "员工登录"),
  );
  if (pairing) return mount("login", head, h("p", { class: "empty", role: "status" }, "正在配对这台手机…"));
  const alert = h("p", { class: "error", role: "alert", hidden: !error }, error || "");
  if (!candidates) {
    return mount(
      "login",
      head,
      alert,
      h("p", { class: "empty" }, busy ? "正在连接前台电脑…" : ""),
      busy ? null : button("重试", intents.retry, "btn primary wide"),
    );
  }
  if (picked) {
    const pin = h("input", {
      id: "pin",
      type: "password",
      inputmode: "numeric",
      autocomplete: "off",
      maxlength: 32,
      required: true,
      "aria-describedby": "pin-help",
    });
    const locked = lockedUntil && lockedUntil > Date.now();
    const submit = h("button", { type: "submit", class: "btn primary wide", disabled: busy || locked }, busy ? "正在登录…" : "登录");
    const form = h(
      "form",
      {
        class: "card",
        "aria-label": "输入 PIN",
        onsubmit: (e) => {
          e.preventDefault();
          if (pin.value) intents.login(picked, pin.value);
        },
      },
      h("p", { class: "who" }, h("strong", null, picked.name), " ", F.roleNames(picked.roles)),
      field("PIN", pin),
      h("small", { id: "pin-help" }, "输入校长给你的 4–8 位数字 PIN"),
      alert,
      submit,
      button("不是我，换一个人", intents.unpick, "btn ghost wide"),
    );
    mount("login:pin", head, form);
    if (locked) countdown(submit, lockedUntil);
    else pin.focus();
    return;
  }
  const needle = (filter || "").trim();
  const shown = candidates.filter((c) => !needle || c.name.includes(needle));
  const groups = new Map();
  for (const c of shown) groups.set(c.campus_name, [...(groups.get(c.campus_name) || []), c]);
  const lists = [...groups].map(([campus, people]) =>
    h(
      "section",
      { class: "card" },
      groups.size > 1 || campuses?.length > 1 ? h("h2", null, campus) : null,
      h(
        "ul",
        { class: "people" },
        people.map((c) =>
          h(
            "li",
            null,
            h(
              "button",
              { type: "button", class: "person", onclick: () => intents.pick(c), "data-staff": c.staff_id },
              h("strong", null, c.name),
              h("small", null, F.roleNames(c.roles)),
            ),
          ),
        ),
      ),
    ),
  );
  mount(
    "login",
    head,
    h("h2", { class: "step" }, "请选择你的名字"),
    candidates.length > 12 ? searchBox("搜索姓名", filter || "", intents.filter) : null,
    alert,
    lists.length ? lists : empty(needle ? `没有找到“${needle}”` : "还没有可以登录的员工"),
    h("p", { class: "hint" }, "也可以在前台电脑上为你生成配对二维码，用手机扫码直接登录。"),
  );
  if (candidates.length > 12) {
    const box = document.querySelector("#main .search");
    if (document.activeElement !== box && needle) {
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    }
  }
  document.body.dataset.ready = "login";
}

function countdown(submit, until) {
  const tick = () => {
    if (!submit.isConnected) return;
    const left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    if (left === 0) {
      submit.disabled = false;
      submit.textContent = "登录";
      return;
    }
    submit.textContent = `请 ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")} 后再试`;
    setTimeout(tick, 1000);
  };
  tick();
}

// ------------------------------------------------------------------ tasks

function moneyCard(m) {
  const target = m.has_target ? m.target_fen : 0;
  const pace = target > 0 ? Math.min(100, (m.expected_so_far_fen / target) * 100) : 0;
  const bar = h(
    "div",
    {
      class: `bar ${m.status}`,
      role: "progressbar",
      "aria-label": `${m.metric_name}达成率`,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": F.barWidth(m.attainment_percent),
    },
    h("span", { style: `width:${F.barWidth(m.attainment_percent)}%` }),
    m.has_target ? h("i", { style: `left:${pace.toFixed(1)}%`, title: "按进度应到这里" }) : null,
  );
  return h(
    "article",
    { class: "card money" },
    h("header", null, h("h3", null, m.metric_name, h("small", null, m.role_name)), chip(m.status_name, m.status)),
    h(
      "p",
      { class: "figure" },
      h("strong", null, F.money(m.actual_fen)),
      m.has_target ? h("span", null, " / ", F.money(m.target_fen)) : h("span", null, " 本周未设目标"),
    ),
    bar,
    m.has_target
      ? h(
          "dl",
          { class: "facts" },
          h("div", null, h("dt", null, "达成率"), h("dd", null, F.percent(m.attainment_percent))),
          h("div", null, h("dt", null, "按进度应完成"), h("dd", null, F.money(m.expected_so_far_fen))),
          h("div", null, h("dt", null, m.remaining_fen > 0 ? "还差" : "已超出"), h("dd", null, F.money(Math.abs(m.remaining_fen)))),
          h("div", null, h("dt", null, "预计本周"), h("dd", null, F.money(m.forecast_fen))),
        )
      : null,
    h("p", { class: "muted" }, `第 ${m.days_elapsed} 天 / 共 ${m.days_total} 天`),
  );
}

function stageRow(s, intents) {
  const target = s.target_count;
  const width = target ? Math.min(100, (s.actual_count / target) * 100) : 0;
  return h(
    "li",
    { class: "stage", "data-stage": s.code },
    h(
      "div",
      { class: "stage-main" },
      h("strong", null, s.name),
      h(
        "span",
        { class: "count", "aria-label": `${s.name}：已完成 ${s.actual_count}${target ? `，目标 ${target}` : ""}` },
        String(s.actual_count),
        target !== null && target !== undefined ? h("small", null, ` / ${target}`) : null,
      ),
      s.pending_count ? chip(`${s.pending_count} 待同步`, "pending") : null,
      target ? h("div", { class: "bar thin" }, h("span", { style: `width:${width}%` })) : null,
    ),
    link("备注", `#/stage/${s.stage_id}`, "btn ghost small"),
    button("+1", () => intents.plusOne(s), "btn plus", { "aria-label": `${s.name} +1` }),
  );
}

function followUpRow(f, today, intents) {
  return h(
    "li",
    { class: "row" },
    h(
      "a",
      { class: "row-main", href: `#/parent/${f.parent_id}` },
      h("strong", null, f.parent_name, f.student_name ? h("small", null, ` · ${f.student_name}`) : null),
      h("span", { class: f.overdue ? "due overdue" : "due" }, F.dueLabel(f.due_on, today)),
      h("span", { class: "clip" }, `${F.shortDate(f.last_contact_on)} ${f.channel}：`, f.content),
    ),
    pendingChip(f.pending),
    button("完成", () => intents.followUpDone(f), "btn small", { "aria-label": `跟进 ${f.parent_name} 完成` }),
  );
}

export function tasks(key, tasksView, followUps, meta, intents) {
  const t = tasksView;
  const p = t.period;
  mount(
    key,
    staleNote(meta),
    h("p", { class: "period" }, p.label, h("small", null, ` ${F.shortDate(p.start)}–${F.shortDate(p.end)}`)),
    t.money.length ? t.money.map(moneyCard) : section("本周目标", empty("本周还没有给你设目标")),
    section(
      "环节目标",
      h("p", { class: "muted" }, "做完一件就点 +1；需要写明情况时点“备注”。"),
      h("ul", { class: "stages" }, t.stages.map((s) => stageRow(s, intents))),
    ),
    section(
      "待跟进",
      followUps.length
        ? h("ul", { class: "list" }, followUps.map((f) => followUpRow(f, t.today, intents)))
        : empty("近 7 天没有需要跟进的家长"),
    ),
  );
}

export function stageForm(key, stage, intents) {
  const note = h("textarea", { id: "stage-note", rows: 4, maxlength: 500, placeholder: "例如：电话邀约了刘晨妈妈，周六来试听" });
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        onsubmit: (e) => {
          e.preventDefault();
          intents.save(stage, note.value.trim());
        },
      },
      h("h2", null, `记录一次「${stage.name}」`),
      field("备注（可不填）", note),
      formError(),
      submitBar("+1 并保存"),
    ),
  );
  mount(key, form);
}

// ------------------------------------------------------------------ ranking

export function ranking(key, data, metric, meta, intents) {
  const r = data[metric];
  const mine = r.rows.find((row) => row.is_me);
  const top = r.rows.length ? r.rows[0].amount_fen : 0;
  mount(
    key,
    staleNote(meta),
    segments("metric", "排行指标", [["revenue", "营业额"], ["consumption", "划课收入"]], metric, {
      onchange: (e) => intents.metric(e.target.value),
      hideLegend: true,
    }),
    h(
      "p",
      { class: "period" },
      `${r.year}年${r.month}月 · ${r.metric_name}`,
      h("small", null, mine ? ` 我排第 ${mine.rank} 名` : " 这个排行里没有你"),
    ),
    r.rows.length
      ? h(
          "ol",
          { class: "ranking" },
          r.rows.map((row) =>
            h(
              "li",
              { class: row.is_me ? "me" : null, "aria-current": row.is_me ? "true" : null },
              h("span", { class: `rank r${row.rank}` }, String(row.rank)),
              h(
                "div",
                { class: "rank-main" },
                h("strong", null, row.staff_name, row.is_me ? chip("我", "me") : null),
                h("div", { class: "bar thin" }, h("span", { style: `width:${top > 0 ? Math.max(0, (row.amount_fen / top) * 100) : 0}%` })),
              ),
              h(
                "div",
                { class: "rank-fig" },
                h("strong", null, F.moneyShort(row.amount_fen)),
                h("small", null, row.attainment_percent !== null ? `达成 ${F.percent(row.attainment_percent)}` : "未设目标"),
              ),
            ),
          ),
        )
      : section(null, empty("本月还没有数据")),
  );
}

// ------------------------------------------------------------------ timetable

function attendanceSummary(lesson) {
  const n = lesson.students.length;
  const marked = lesson.students.filter((s) => s.attendance).length;
  if (lesson.status === "cancelled") return chip("已取消", "muted");
  if (!n) return chip("无学员", "muted");
  if (marked === n) return chip(`已点名 ${n}`, "ok");
  return chip(marked ? `已点 ${marked}/${n}` : `未点名 · ${n} 人`, "todo");
}

function lessonCard(lesson, week, me) {
  const pending = lesson.students.some((s) => s.attendance && s.attendance.pending);
  return h(
    "li",
    null,
    h(
      "a",
      { class: "lesson", href: `#/lesson/${week}/${lesson.lesson_id}` },
      h("span", { class: "time" }, lesson.starts_local, h("small", null, lesson.ends_local)),
      h(
        "span",
        { class: "lesson-main" },
        h("strong", null, lesson.title || lesson.course_name),
        h("small", null, [lesson.room, lesson.teacher_id !== me ? lesson.teacher_name : ""].filter(Boolean).join(" · ")),
      ),
      h("span", { class: "lesson-side" }, attendanceSummary(lesson), pendingChip(pending)),
    ),
  );
}

export function timetable(key, lessons, ctx, meta, intents) {
  const { week, today, scope, me } = ctx;
  const days = new Map();
  for (const l of lessons) if (scope === "week" || l.lesson_on === today) days.set(l.lesson_on, [...(days.get(l.lesson_on) || []), l]);
  const end = F.addDays(week, 6);
  const thisWeek = week === F.mondayOf(today);
  mount(
    key,
    staleNote(meta),
    segments("scope", "显示范围", [["today", "今天"], ["week", "本周"]], scope, {
      onchange: (e) => intents.scope(e.target.value),
      hideLegend: true,
    }),
    scope === "week"
      ? h(
          "div",
          { class: "weeknav" },
          button("‹ 上周", () => intents.week(-7), "btn ghost small", { "aria-label": "上一周" }),
          h("span", null, `${F.shortDate(week)}–${F.shortDate(end)}`, thisWeek ? "（本周）" : ""),
          button("下周 ›", () => intents.week(7), "btn ghost small", { "aria-label": "下一周" }),
        )
      : h("p", { class: "period" }, `今天 ${F.shortDate(today)} ${F.weekday(today)}`),
    days.size
      ? [...days].map(([day, list]) =>
          h(
            "section",
            { class: "card day" },
            scope === "week" ? h("h2", null, F.dayLabel(day, today)) : null,
            h("ul", { class: "lessons" }, list.map((l) => lessonCard(l, week, me))),
          ),
        )
      : section(null, empty(scope === "today" ? "今天没有你的课" : "这一周没有你的课")),
  );
}

export function lesson(key, l, ctx, intents) {
  const { draft, today } = ctx;
  const rows = l.students.map((s) => {
    const chosen = draft.get(s.student_id) || (s.attendance ? s.attendance.status : "");
    const changed = draft.has(s.student_id) && draft.get(s.student_id) !== (s.attendance && s.attendance.status);
    return h(
      "li",
      { class: changed ? "mark changed" : "mark", "data-student": s.student_id },
      h(
        "div",
        { class: "mark-head" },
        h("strong", null, s.student_name),
        s.is_trial ? chip("试听", "muted") : null,
        s.attendance && s.attendance.charged_hours && s.attendance.charged_hours !== "0.00"
          ? h("small", null, `扣 ${F.hours(s.attendance.charged_hours)} 课时`)
          : null,
        pendingChip(s.attendance && s.attendance.pending),
        s.attendance ? link("成长记录", `#/growth/${s.student_id}/${l.lesson_id}`, "btn ghost small push") : null,
      ),
      segments(`att-${s.student_id}`, `${s.student_name} 的考勤`, F.ATTENDANCE, chosen, {
        onchange: (e) => intents.mark(s.student_id, e.target.value),
        disabled: !l.can_mark_attendance || l.status === "cancelled",
        hideLegend: true,
      }),
    );
  });
  const dirty = [...draft].some(([sid, st]) => {
    const s = l.students.find((x) => x.student_id === sid);
    return s && (!s.attendance || s.attendance.status !== st);
  });
  mount(
    key,
    h(
      "section",
      { class: "card" },
      h("h2", null, l.title || l.course_name),
      h(
        "p",
        { class: "muted" },
        `${F.dayLabel(l.lesson_on, today)} ${l.starts_local}–${l.ends_local} · ${l.room || "未排教室"} · ${F.hours(l.hours)} 课时 · ${l.teacher_name}`,
      ),
      l.status === "cancelled" ? h("p", { class: "error" }, "这节课已取消") : null,
      !l.can_mark_attendance ? h("p", { class: "muted" }, "只有任课老师和校长可以点名") : null,
    ),
    l.students.length
      ? h(
          "section",
          { class: "card" },
          h(
            "div",
            { class: "card-head" },
            h("h2", null, `点名（${l.students.length} 人）`),
            l.can_mark_attendance && l.status !== "cancelled" ? button("全部出勤", intents.allPresent, "btn small") : null,
          ),
          h("ul", { class: "marks" }, rows),
        )
      : section(null, empty("这节课没有学员")),
    l.can_mark_attendance && l.status !== "cancelled" && l.students.length
      ? h("div", { class: "sticky" }, button(dirty ? "保存点名" : l.students.some((s) => s.attendance) ? "点名已保存" : "选好考勤后保存", intents.save, "btn primary wide", { disabled: !dirty }))
      : null,
  );
}

// ------------------------------------------------------------------ students and growth

function growthItem(g, today) {
  return h(
    "li",
    { class: "growth" },
    h(
      "div",
      { class: "row-head" },
      h("strong", null, F.dayLabel(g.recorded_on, today)),
      g.teacher_name ? h("small", null, g.teacher_name) : null,
      pendingChip(g.pending),
    ),
    h(
      "dl",
      { class: "ratings" },
      F.RATINGS.map(([k, label]) =>
        h("div", null, h("dt", null, label), h("dd", { "aria-label": `${g[k]} 分（满分 5 分）` }, F.stars(g[k]))),
      ),
    ),
    g.progress_note ? h("p", null, h("span", { class: "muted" }, "进度："), g.progress_note) : null,
    g.comment ? h("p", { class: "comment" }, g.comment) : null,
  );
}

export function students(key, list, ctx, meta, intents) {
  const needle = ctx.filter.trim();
  const found = list.filter((s) => !needle || s.name.includes(needle) || s.school.includes(needle));
  const main = listScreen(key, "搜索学员姓名或学校", ctx.filter, intents.filter);
  const rows = paged(
    found,
    ctx.shown,
    (s) =>
      h(
        "li",
        null,
        h(
          "a",
          { class: "row-main row-link", href: `#/student/${s.student_id}` },
          h("strong", null, s.name, h("small", null, ` ${[s.grade, s.school].filter(Boolean).join(" · ")}`)),
          h(
            "span",
            { class: "row-meta" },
            chip(F.STUDENT_STATUS_NAMES[s.status] || s.status, s.status),
            ` 剩余 ${F.hours(s.remaining_hours)} 课时`,
            s.recent_growth.length ? ` · 最近记录 ${F.shortDate(s.recent_growth[0].recorded_on)}` : "",
          ),
        ),
        pendingChip(s.recent_growth.some((g) => g.pending)),
      ),
    intents.more,
  );
  fillList(main, staleNote(meta), found.length ? rows : empty(needle ? `没有找到“${needle}”` : "你还没有学员"));
}

/** A list screen whose search box survives refreshes (typing is never interrupted). */
function listScreen(key, placeholder, filter, onFilter) {
  const main = $("main");
  if (current.key === key && main.querySelector(".search")) return main;
  mount(key, searchBox(placeholder, filter, onFilter), h("div", { class: "list-body" }));
  return main;
}

function fillList(main, ...nodes) {
  const y = window.scrollY;
  main.querySelector(".list-body").replaceChildren(...nodes.flat().filter(Boolean));
  window.scrollTo(0, y);
}

export function student(key, s, ctx, meta) {
  mount(
    key,
    staleNote(meta),
    h(
      "section",
      { class: "card" },
      h("h2", null, s.name, " ", chip(F.STUDENT_STATUS_NAMES[s.status] || s.status, s.status)),
      h(
        "dl",
        { class: "facts" },
        h("div", null, h("dt", null, "年级"), h("dd", null, [s.grade, s.school].filter(Boolean).join(" · ") || "—")),
        h("div", null, h("dt", null, "剩余课时"), h("dd", null, F.hours(s.remaining_hours))),
        h("div", null, h("dt", null, "课程顾问"), h("dd", null, s.consultant_name || "—")),
      ),
      s.parents.length
        ? h(
            "ul",
            { class: "contacts" },
            s.parents.map((p) =>
              h(
                "li",
                null,
                h("a", { href: `#/parent/${p.parent_id}` }, p.parent_name, h("small", null, ` ${p.relation}`)),
                F.telHref(p.phone) ? h("a", { class: "btn small", href: F.telHref(p.phone), "aria-label": `拨打 ${p.parent_name}` }, "拨打") : null,
              ),
            ),
          )
        : null,
    ),
    h(
      "div",
      { class: "actions" },
      link("添加成长记录", `#/growth/${s.student_id}`, "btn primary wide"),
      link("成长卡片", `#/card/${s.student_id}`, "btn wide"),
    ),
    section(
      `成长记录（${s.growth_records.length}）`,
      s.growth_records.length
        ? h("ul", { class: "list" }, s.growth_records.map((g) => growthItem(g, ctx.today)))
        : empty("还没有成长记录"),
    ),
  );
}

/**
 * A student's growth card (a picture the server draws) to send to the parents: full width,
 * with a download link; ``card`` is {url} once fetched, {error} when it could not be, else {}.
 */
export function growthCard(key, s, card, intents) {
  let body;
  if (card.url) {
    body = [
      h("img", {
        class: "growth-card",
        src: card.url,
        alt: `${s.name}的成长卡片`,
        style: "display:block;width:100%;height:auto;border-radius:8px",
      }),
      h("p", { class: "muted", role: "note" }, "长按图片保存或发送给家长"),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "btn primary wide", href: card.url, download: `成长卡片-${s.name}.png` }, "下载图片"),
        intents.share ? button("发送…", intents.share, "btn wide") : null,
      ),
    ];
  } else if (card.error) {
    body = [h("p", { class: "notice", role: "alert" }, card.error), button("重试", intents.retry, "btn wide")];
  } else {
    body = [h("p", { class: "empty", role: "status" }, "正在生成成长卡片…")];
  }
  mount(key, h("section", { class: "card" }, h("h2", null, `${s.name}的成长卡片`), ...body));
}

export function growthForm(key, s, ctx, intents) {
  const date = h("input", { type: "date", value: ctx.today, max: F.addDays(ctx.today, 1), required: true });
  const note = h("input", { type: "text", maxlength: 200, placeholder: "如：第 12 课 · 光影练习" });
  const comment = h("textarea", { rows: 5, maxlength: 2000, placeholder: "课堂表现、需要家长配合的地方…" });
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        "aria-label": "成长记录",
        onsubmit: (e) => {
          e.preventDefault();
          const ratings = {};
          for (const [k, label] of F.RATINGS) {
            const picked = form.querySelector(`input[name="${k}"]:checked`);
            if (!picked) return showFormError(form, `请给「${label}」打分`);
            ratings[k] = Number(picked.value);
          }
          if (!F.isIsoDate(date.value)) return showFormError(form, "请选择日期");
          showFormError(form, "");
          intents.save({ ...ratings, recorded_on: date.value, progress_note: note.value.trim(), comment: comment.value.trim() });
        },
      },
      h("h2", null, `${s.name}的成长记录`),
      ctx.lesson ? h("p", { class: "muted" }, `课程：${ctx.lesson.title || ctx.lesson.course_name} · ${F.dayLabel(ctx.lesson.lesson_on, ctx.today)}`) : null,
      field("日期", date),
      F.RATINGS.map(([k, label]) =>
        segments(k, label, [1, 2, 3, 4, 5].map((n) => [String(n), `${n}★`]), "", { hideLegend: false }),
      ),
      field("教程进度说明", note),
      field("评语", comment),
      formError(),
      submitBar("保存成长记录"),
    ),
  );
  for (const fs of form.querySelectorAll("fieldset.seg")) fs.classList.add("stars");
  mount(key, form);
}

// ------------------------------------------------------------------ parents

function parentRow(p, today) {
  return h(
    "li",
    null,
    h(
      "a",
      { class: "row-main row-link", href: `#/parent/${p.parent_id}` },
      h("strong", null, p.name, h("small", null, ` ${p.students.map((s) => `${s.student_name}${s.relation}`).join("、")}`)),
      h(
        "span",
        { class: "row-meta" },
        p.phone || "未留电话",
        p.next_follow_up_on ? " · " : "",
        p.next_follow_up_on
          ? h("span", { class: p.next_follow_up_on < today ? "due overdue" : "due" }, `跟进 ${F.dueLabel(p.next_follow_up_on, today)}`)
          : null,
      ),
    ),
    pendingChip(p.pending_fields?.length || p.communications.some((c) => c.pending)),
    F.telHref(p.phone) ? h("a", { class: "btn small call", href: F.telHref(p.phone), "aria-label": `拨打 ${p.name}` }, "拨打") : null,
  );
}

export function parents(key, list, ctx, meta, intents) {
  const needle = ctx.filter.trim();
  const found = list.filter(
    (p) => !needle || p.name.includes(needle) || p.phone.includes(needle) || p.students.some((s) => s.student_name.includes(needle)),
  );
  const main = listScreen(key, "搜索家长、孩子或电话", ctx.filter, intents.filter);
  fillList(
    main,
    staleNote(meta),
    found.length ? paged(found, ctx.shown, (p) => parentRow(p, ctx.today), intents.more) : empty(needle ? `没有找到“${needle}”` : "你还没有家长"),
  );
}

function talkItem(c, today, parentId, students) {
  const child = students.find((s) => s.student_id === c.student_id);
  const open = c.next_follow_up_on && !c.follow_up_done;
  return h(
    "li",
    { class: "talk" },
    h(
      "div",
      { class: "row-head" },
      h("strong", null, F.dayLabel(c.occurred_on, today)),
      chip(c.channel),
      h("small", null, [c.staff_name, child ? `关于${child.student_name}` : ""].filter(Boolean).join(" · ")),
      pendingChip(c.pending),
    ),
    h("p", { class: "comment" }, c.content),
    c.next_follow_up_on
      ? h(
          "p",
          { class: "follow" },
          c.follow_up_done
            ? h("span", { class: "muted" }, `已跟进（原定 ${F.shortDate(c.next_follow_up_on)}）`)
            : h("span", { class: c.next_follow_up_on < today ? "due overdue" : "due" }, `下次跟进 ${F.shortDate(c.next_follow_up_on)} · ${F.dueLabel(c.next_follow_up_on, today)}`),
          open && c.version ? link("改期/完成", `#/follow/${parentId}/${c.record_id}`, "btn ghost small") : null,
        )
      : null,
  );
}

export function parent(key, p, ctx, meta) {
  const pendingFields = new Set(p.pending_fields || []);
  const contact = (label, value, name, tel) =>
    h(
      "div",
      null,
      h("dt", null, label),
      h(
        "dd",
        null,
        value || "—",
        pendingFields.has(name) ? chip("待同步", "pending") : null,
        tel && F.telHref(value) ? h("a", { class: "btn small call", href: F.telHref(value), "aria-label": `拨打 ${p.name} ${label}` }, "拨打") : null,
      ),
    );
  mount(
    key,
    staleNote(meta),
    h(
      "section",
      { class: "card" },
      h("div", { class: "card-head" }, h("h2", null, p.name, pendingFields.has("name") ? chip("待同步", "pending") : null), link("编辑", `#/parent-edit/${p.parent_id}`, "btn ghost small")),
      p.students.length ? h("p", { class: "muted" }, p.students.map((s) => `${s.student_name}的${s.relation}`).join("、")) : null,
      h(
        "dl",
        { class: "facts contact" },
        contact("电话", p.phone, "phone", true),
        contact("备用电话", p.phone2, "phone2", true),
        contact("微信", p.wechat, "wechat", false),
        contact("备注", p.notes, "notes", false),
        h("div", null, h("dt", null, "下次跟进"), h("dd", null, p.next_follow_up_on ? `${F.shortDate(p.next_follow_up_on)}（${F.dueLabel(p.next_follow_up_on, ctx.today)}）` : "未安排")),
      ),
    ),
    h("div", { class: "actions" }, link("添加沟通记录", `#/talk/${p.parent_id}`, "btn primary wide")),
    section(
      "沟通记录",
      p.communications.length
        ? h("ul", { class: "list" }, p.communications.map((c) => talkItem(c, ctx.today, p.parent_id, p.students)))
        : empty("还没有沟通记录"),
    ),
  );
}

function followChoices(today, input) {
  return h(
    "div",
    { class: "quick" },
    [["明天", 1], ["3 天后", 3], ["一周后", 7], ["两周后", 14]].map(([label, n]) =>
      button(label, () => {
        input.value = F.addDays(today, n);
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }, "btn ghost small"),
    ),
  );
}

export function talkForm(key, p, ctx, intents) {
  const date = h("input", { type: "date", value: ctx.today, max: F.addDays(ctx.today, 1), required: true });
  const content = h("textarea", { rows: 5, maxlength: 2000, required: true, placeholder: "沟通了什么、家长的想法、下一步…" });
  const next = h("input", { type: "date", min: ctx.today });
  const student = p.students.length > 1
    ? h("select", null, h("option", { value: "" }, "（不指定）"), p.students.map((s) => h("option", { value: s.student_id }, s.student_name)))
    : null;
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        "aria-label": "沟通记录",
        onsubmit: (e) => {
          e.preventDefault();
          const channel = form.querySelector('input[name="channel"]:checked');
          if (!content.value.trim()) return showFormError(form, "请填写沟通内容");
          if (!F.isIsoDate(date.value)) return showFormError(form, "请选择沟通日期");
          if (next.value && next.value < date.value) return showFormError(form, "下次跟进日期不能早于沟通日期");
          showFormError(form, "");
          intents.save({
            channel: channel ? channel.value : "电话",
            occurred_on: date.value,
            content: content.value.trim(),
            next_follow_up_on: next.value || null,
            student_id: student ? student.value || null : p.students.length === 1 ? p.students[0].student_id : null,
          });
        },
      },
      h("h2", null, `和${p.name}的沟通`),
      segments("channel", "方式", F.CHANNELS.map((c) => [c, c]), "电话"),
      student ? field("关于哪个孩子", student) : null,
      field("日期", date),
      field("沟通内容", content),
      field("下次跟进（可不填）", next),
      followChoices(ctx.today, next),
      formError(),
      submitBar("保存沟通记录"),
    ),
  );
  mount(key, form);
}

export function followForm(key, p, c, ctx, intents) {
  const next = h("input", { type: "date", value: c.next_follow_up_on || "", min: c.occurred_on });
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        "aria-label": "跟进",
        onsubmit: (e) => {
          e.preventDefault();
          if (!F.isIsoDate(next.value)) return showFormError(form, "请选择新的跟进日期");
          intents.save({ next_follow_up_on: next.value, done: false });
        },
      },
      h("h2", null, `跟进${p.name}`),
      h("p", { class: "comment" }, `${F.shortDate(c.occurred_on)} ${c.channel}：`, c.content),
      field("改到哪天", next),
      followChoices(ctx.today, next),
      formError(),
      submitBar("改期"),
      button("已跟进，标记完成", () => intents.save({ next_follow_up_on: c.next_follow_up_on, done: true }), "btn wide"),
      button("取消跟进安排", () => intents.save({ next_follow_up_on: null, done: null }), "btn ghost wide"),
    ),
  );
  mount(key, form);
}

export function parentEdit(key, p, intents) {
  const inputs = {};
  const controls = F.PARENT_FIELDS.map(([name, label]) => {
    const attrs = { value: p[name] || "", maxlength: name === "notes" ? 2000 : name === "phone" || name === "phone2" ? 40 : 60 };
    const el =
      name === "notes"
        ? h("textarea", { rows: 4, maxlength: 2000 })
        : h("input", { type: name.startsWith("phone") ? "tel" : "text", ...attrs, required: name === "name" });
    if (name === "notes") el.value = p.notes || "";
    inputs[name] = el;
    return field(label, el);
  });
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        "aria-label": "编辑家长联系方式",
        onsubmit: (e) => {
          e.preventDefault();
          const changed = {};
          for (const [name] of F.PARENT_FIELDS) {
            const value = inputs[name].value.trim();
            if (value !== (p[name] || "")) changed[name] = value;
          }
          if (changed.name === "") return showFormError(form, "姓名不能为空");
          for (const name of ["phone", "phone2"]) {
            if (name in changed && !(name === "phone2" && !changed[name]) && !F.isPhone(changed[name])) {
              return showFormError(form, `电话号码格式不正确：${F.PHONE_HINT}`);
            }
          }
          if (!Object.keys(changed).length) return showFormError(form, "没有修改任何内容");
          showFormError(form, "");
          intents.save(changed);
        },
      },
      h("h2", null, "编辑联系方式"),
      controls,
      h("small", { class: "muted" }, "只会上传你改动的项；别人同时改了其他项也不会被覆盖。"),
      formError(),
      submitBar("保存"),
    ),
  );
  mount(key, form);
}

// ------------------------------------------------------------------ trials

function trialRow(t, today) {
  return h(
    "li",
    null,
    h(
      "a",
      { class: "row-main row-link", href: `#/trial/${t.trial_id}` },
      h("strong", null, t.student_name, h("small", null, ` ${t.course_name}`)),
      h(
        "span",
        { class: "row-meta" },
        `${F.dayLabel(t.trial_on, today)} · `,
        chip(F.TRIAL_STATUS_NAMES[t.status] || t.status, t.status),
        " ",
        chip(F.TRIAL_OUTCOME_NAMES[t.outcome] || t.outcome, t.outcome),
        t.sign_type ? ` ${F.SIGN_TYPE_NAMES[t.sign_type] || ""}` : "",
      ),
      h("small", { class: "muted" }, [t.consultant_name && `顾问 ${t.consultant_name}`, t.intent_teacher_name && `老师 ${t.intent_teacher_name}`].filter(Boolean).join(" · ")),
      t.feedback ? h("span", { class: "clip" }, t.feedback) : null,
    ),
    pendingChip(t.pending),
  );
}

export function trials(key, list, ctx, meta, intents) {
  const open = (t) => t.status === "scheduled" || (t.status === "held" && t.outcome === "pending");
  const shown = ctx.scope === "open" ? list.filter(open) : [...list].reverse();
  mount(
    key,
    staleNote(meta),
    segments("trial-scope", "显示", [["open", `待处理（${list.filter(open).length}）`], ["all", "全部"]], ctx.scope, {
      onchange: (e) => intents.scope(e.target.value),
      hideLegend: true,
    }),
    shown.length
      ? h("section", { class: "card" }, paged(shown, ctx.shown, (t) => trialRow(t, ctx.today), intents.more))
      : section(null, empty(ctx.scope === "open" ? "没有待处理的试听" : "近期没有试听")),
  );
}

export function trialForm(key, t, ctx, intents) {
  const feedback = h("textarea", { rows: 5, maxlength: 2000, placeholder: "孩子的表现、家长的反馈…" });
  feedback.value = t.feedback || "";
  let outcomeSet;
  const status = segments("status", "试听情况", F.TRIAL_STATUS, t.status === "scheduled" ? "" : t.status, {
    onchange: (e) => {
      outcomeSet.disabled = e.target.value !== "held";
      if (e.target.value !== "held") outcomeSet.querySelector('input[value="pending"]').checked = true;
    },
  });
  outcomeSet = segments("outcome", "结果", F.TRIAL_OUTCOME, t.outcome, { disabled: t.status !== "held" });
  const form = watchDirty(
    h(
      "form",
      {
        class: "card",
        "aria-label": "试听结果",
        onsubmit: (e) => {
          e.preventDefault();
          const st = form.querySelector('input[name="status"]:checked');
          const oc = form.querySelector('input[name="outcome"]:checked');
          if (!st) return showFormError(form, "请选择试听情况");
          const outcome = st.value === "held" && oc ? oc.value : "pending";
          const text = feedback.value.trim();
          showFormError(form, "");
          intents.save({ status: st.value, outcome, feedback: text !== (t.feedback || "") ? text : undefined });
        },
      },
      h("h2", null, `${t.student_name}的试听`),
      h(
        "p",
        { class: "muted" },
        `${t.course_name} · ${F.dayLabel(t.trial_on, ctx.today)} · ${[t.consultant_name, t.intent_teacher_name].filter(Boolean).join(" / ")}`,
      ),
      status,
      outcomeSet,
      h("small", { class: "muted" }, "只有“已试听”才能记录签单结果；签了订单的试听结果只能是“已签单”。"),
      field("反馈", feedback),
      formError(),
      submitBar("保存试听结果"),
    ),
  );
  mount(key, form);
}

// ------------------------------------------------------------------ me and problems

export function me(key, m, ctx, meta, intents) {
  const sync = ctx.sync;
  const syncText =
    sync.pending === 0
      ? "全部已同步"
      : sync.state === "offline"
        ? `${sync.pending} 条等待网络`
        : sync.state === "error"
          ? `${sync.pending} 条暂未上传：${sync.error || "稍后重试"}`
          : `${sync.pending} 条正在上传`;
  mount(
    key,
    staleNote(meta),
    h(
      "section",
      { class: "card" },
      h("h2", null, m.name),
      h(
        "dl",
        { class: "facts" },
        h("div", null, h("dt", null, "角色"), h("dd", null, F.roleNames(m.roles))),
        h("div", null, h("dt", null, "手机"), h("dd", null, m.phone || "—")),
        h("div", { class: "full" }, h("dt", null, "校区"), h("dd", null, m.campus_name)),
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", null, "同步"),
      h("p", { id: "sync-state" }, syncText),
      sync.lastSuccess ? h("p", { class: "muted" }, `上次上传：${F.ago(sync.lastSuccess, Date.now())}`) : null,
      h("p", { class: "muted" }, ctx.live ? "实时连接：已连接" : "实时连接：未连接（会自动重连）"),
      h(
        "div",
        { class: "actions" },
        button("立即同步", intents.syncNow, "btn"),
        ctx.problems ? link(`查看 ${ctx.problems} 条需处理`, "#/problems", "btn ghost") : null,
      ),
    ),
    h(
      "section",
      { class: "card" },
      h("h2", null, "我的设备"),
      h(
        "ul",
        { class: "list" },
        m.devices.map((d) =>
          h(
            "li",
            { class: "row" },
            h(
              "div",
              { class: "row-main" },
              h("strong", null, d.name, d.is_current ? chip("本机", "me") : null),
              h("small", { class: "muted" }, `登录于 ${F.instantLabel(d.created_at)}${d.last_seen_at ? ` · 最近使用 ${F.instantLabel(d.last_seen_at)}` : ""}`),
            ),
            d.is_current ? null : button("注销", () => intents.revoke(d), "btn small danger", { "aria-label": `注销设备 ${d.name}` }),
          ),
        ),
      ),
    ),
    h(
      "div",
      { class: "actions" },
      button("退出登录", intents.logout, "btn danger wide"),
      ctx.pendingWarning ? h("p", { class: "muted" }, ctx.pendingWarning) : null,
    ),
  );
}

const FIELD_NAMES = {
  ...Object.fromEntries(F.PARENT_FIELDS),
  status: "试听情况",
  outcome: "结果",
  feedback: "反馈",
  next_follow_up_on: "下次跟进",
  follow_up_done: "跟进完成",
};

function valueText(v) {
  if (v === null || v === undefined || v === "") return "（空）";
  if (v === true) return "是";
  if (v === false) return "否";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

export function problems(key, list, intents) {
  mount(
    key,
    h("p", { class: "muted" }, "这些记录没有按你的意思保存。看过后点“知道了”；需要时请重新录入或请校长在电脑上处理。"),
    list.length
      ? [
          h(
            "ul",
            { class: "list problems" },
            list.map((p) =>
              h(
                "li",
                { class: `problem ${p.kind}` },
                h("div", { class: "row-head" }, chip(p.kind === "conflict" ? "修改冲突" : "未能保存", p.kind), h("strong", null, p.label || p.name)),
                p.kind === "rejected"
                  ? h("p", null, p.error ? p.error.message : "服务器拒绝了这条记录")
                  : p.conflicts.map((c) =>
                      h(
                        "p",
                        null,
                        c.field
                          ? `「${FIELD_NAMES[c.field] || c.field}」别人也改过：你的「${valueText(c.applied_value)}」已保存，覆盖了「${valueText(c.overwritten_value)}」。如需恢复，请校长在电脑的冲突列表里一键恢复。`
                          : "这条记录已被删除，你的修改没有保存。",
                      ),
                    ),
                button("知道了", () => intents.dismiss(p.uid), "btn small", { "aria-label": `知道了：${p.label || p.name}` }),
              ),
            ),
          ),
          button("全部知道了", intents.dismissAll, "btn ghost wide"),
        ]
      : section(null, empty("没有需要处理的记录")),
  );
}
