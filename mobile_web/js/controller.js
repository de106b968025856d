// The controller: who is logged in, which screen is shown, where its data comes from, and
// what each tap does. Reads go cache-first (IndexedDB), then to the server; writes go into
// the outbox and show at once, marked pending, until the server has them.

import { ApiError, makeApi, NetworkError } from "./api.js";
import * as F from "./format.js";
import { newClientId, uuid4 } from "./ids.js";
import { Live } from "./live.js";
import { editKey, Outbox, SCHEMA_VERSION, unseen } from "./outbox.js";
import * as O from "./overlay.js";
import { forget, goneSets } from "./scope.js";
import { openStorage } from "./store.js";
import * as view from "./view.js";

const SESSION_KEY = "dabiao.session";
const OFFSET_KEY = "dabiao.clockOffset";
const LAST_STAFF_KEY = "dabiao.lastStaff";
const RELOAD_KEY = "dabiao.reloadedAt";
const PAGE = 50;
const NO_SERVER = "连不上前台电脑：请确认手机和前台电脑在同一个 Wi-Fi，并且达标已经打开。";

let storage = null;
let storageReady = null; // opening IndexedDB takes a while on a first visit: not before login
let api = null;
let session = null;
let outbox = null;
let live = null;
let liveConnected = false;
let networkOk = true;
let screenToken = 0;
let drawn = null; // {route, name, key, args, paths, meta, entries}
let held = false; // drawn has not been painted: a tap was under way
let navigated = false;
let outboxSignature = "";
let refreshTimer = null;
const memo = new Map(); // path -> {data, fetchedAt}
const ui = {
  metric: "revenue",
  ttScope: "today",
  trialScope: "open",
  filters: { students: "", parents: "" },
  shown: { students: PAGE, parents: PAGE, trials: PAGE },
  drafts: new Map(), // lesson_id -> Map(student_id -> status)
};
let login = { campuses: null, candidates: null, picked: null, error: "", filter: "", lockedUntil: 0, busy: false };

// ------------------------------------------------------------------ clock

// Business dates are the server's (Asia/Shanghai), whatever the phone's clock says.
let clockOffset = Number(localStorage.getItem(OFFSET_KEY)) || 0;

function today() {
  return F.shanghaiDate(Date.now() + clockOffset);
}

async function checkServer() {
  const sent = Date.now();
  const health = await api.get("/api/health");
  const received = Date.now();
  const server = Date.parse(health.server_time);
  if (Number.isFinite(server)) {
    clockOffset = Math.round(server - (sent + received) / 2);
    localStorage.setItem(OFFSET_KEY, String(clockOffset));
  }
  if (health.schema_version !== SCHEMA_VERSION) reloadForNewVersion();
  return health;
}

// ------------------------------------------------------------------ data

const cacheKey = (path) => `cache:${session.staff.staff_id}:${path}`;

async function cached(path) {
  if (memo.has(path)) return memo.get(path);
  let entry;
  try {
    entry = await storage.get(cacheKey(path));
  } catch {
    entry = undefined;
  }
  if (entry) memo.set(path, entry);
  return entry;
}

async function fetchPath(path) {
  const data = await api.get(path);
  const entry = { data, fetchedAt: Date.now() };
  memo.set(path, entry);
  // The cache is a convenience for reading offline; a full disk must not break the screen.
  storage.set(cacheKey(path), entry).catch(() => {});
  setNetwork(true);
  return entry;
}

function setNetwork(ok) {
  networkOk = ok;
  view.setOnline(ok && navigator.onLine !== false);
}

/** Writes the screen fetched at ``fetchedAt`` cannot show yet (pending or just answered). */
function mine(entry) {
  return outbox && outbox.state ? unseen(outbox.state, entry.fetchedAt) : [];
}

/** The version an edit is based on: what the phone saw, including its own answered writes. */
function baseFor(name, args, version, fetchedAt) {
  const key = editKey(name, args);
  let base = version;
  for (const s of outbox.state.settled) {
    if (s.acked_at > fetchedAt && editKey(s.name, s.args) === key) base = Math.max(base, s.version);
  }
  return base;
}

const myName = () => (session ? session.staff.name : "");
const ttPath = (week) => `/api/timetable?start=${week}&end=${F.addDays(week, 6)}`;
const trialsPath = () => `/api/trials?start=${F.addDays(today(), -60)}&end=${F.addDays(today(), 30)}`;
const thisMonday = () => F.mondayOf(today());

// ------------------------------------------------------------------ navigation

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const name = parts[0] && ROUTES[parts[0]] ? parts[0] : "tasks";
  return { name, args: parts[0] && ROUTES[parts[0]] ? parts.slice(1) : [] };
}

function go(hash) {
  location.hash = hash;
}

/** Leave a form: back where the person came from, or to ``fallback`` on a fresh page. */
function leave(fallback) {
  if (navigated) history.back();
  else location.replace(fallback);
}

async function show({ refresh = false } = {}) {
  if (!session) return;
  const { name, args } = parseRoute();
  const route = ROUTES[name];
  const key = `${name}:${args.join("/")}`;
  if (refresh && drawn && drawn.key === key && route.form) return; // never redraw a form on a poke
  const token = ++screenToken;
  view.setTitle(route.title, route.tab);
  const paths = route.paths(args);
  if (!refresh) {
    const entries = await Promise.all(paths.map(cached));
    if (token !== screenToken) return;
    if (entries.every(Boolean)) draw(route, name, key, args, paths, entries, {});
    else view.loading(key);
  }
  if (!paths.length) {
    if (refresh) draw(route, name, key, args, paths, [], {});
    return;
  }
  try {
    const entries = await Promise.all(paths.map(fetchPath));
    if (token !== screenToken) return;
    performance.mark(`dabiao:fetched:${name}`);
    if (route.form && drawn && drawn.key === key && view.formDirty()) return;
    // Nothing new: keep the screen as it is (a redraw would only flicker, lose the scroll
    // anchor and swallow a tap that lands while the page is replaced).
    if (drawn && drawn.key === key && !drawn.meta.offline && sameData(drawn.entries, entries)) {
      // The same answers, fetched later, may already hold own writes that the screen still
      // adds on top (an answer computed after a push but received before its reply): then
      // the overlay shrinks and the screen must be painted again, or it shows them twice.
      const overlaid = (list) => list.map((e) => mine(e).length).join();
      const before = overlaid(drawn.entries);
      drawn.entries = entries;
      if (overlaid(entries) === before) return;
    }
    draw(route, name, key, args, paths, entries, {});
  } catch (error) {
    if (token !== screenToken || handleError(error)) return;
    // A failed refresh keeps what is on screen; but a refresh that overtook the screen's
    // own first load (a poke, the live socket opening) must still say what it could not get.
    if (refresh && drawn && drawn.key === key) return;
    const entries = await Promise.all(paths.map(cached));
    if (token !== screenToken) return;
    if (entries.every(Boolean)) {
      const oldest = Math.min(...entries.map((e) => e.fetchedAt));
      draw(route, name, key, args, paths, entries, { offline: true, fetchedAt: oldest });
    } else {
      view.failed(key, error instanceof NetworkError ? NO_SERVER : error.message, () => show());
    }
  }
}

/** Whether two lists of cache entries hold the same answers (their fetch times aside). */
function sameData(a, b) {
  return (
    Boolean(a) &&
    a.length === b.length &&
    a.every((e, i) => e && JSON.stringify(e.data) === JSON.stringify(b[i].data))
  );
}

function draw(route, name, key, args, paths, entries, meta) {
  drawn = { route, name, key, args, paths, meta, entries };
  if (view.tapping()) {
    // A finger is on the screen: keep the buttons under it until its tap has run.
    if (!held) performance.mark(`dabiao:held:${name}`);
    held = true;
    view.whenTapEnds(paintHeld);
    return;
  }
  held = false;
  paint();
}

function paint() {
  const { route, name, key, args, entries, meta } = drawn;
  try {
    route.render(key, args, entries, meta);
  } catch (error) {
    if (!(error instanceof Missing)) throw error;
    view.failed(key, error.message, () => show());
  }
  document.body.dataset.ready = name;
  performance.mark(`dabiao:ready:${name}`);
}

/** Draw what arrived during a tap, unless the tap has since led to another screen. */
function paintHeld() {
  if (!held || !drawn || !session) return;
  held = false;
  const { name, args } = parseRoute();
  if (drawn.key === `${name}:${args.join("/")}`) paint();
}

/** Draw the screen again from what is in memory (after an outbox change). */
function redraw() {
  if (!drawn || !session) return;
  if (drawn.route.form) return;
  const entries = drawn.paths.map((p) => memo.get(p));
  if (!entries.every(Boolean)) return;
  draw(drawn.route, drawn.name, drawn.key, drawn.args, drawn.paths, entries, drawn.meta);
}

/** Fetch the screen in view again, soon (pokes and pushes come in bursts). */
function refresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => show({ refresh: true }), 250);
}

class Missing extends Error {}

function find(list, key, id, what) {
  const found = list.find((x) => x[key] === id);
  if (!found) throw new Missing(`找不到这${what}（可能已删除，或不在你的范围内）`);
  return found;
}

function handleError(error) {
  if (error && error.status === 401) {
    sessionLost("登录已失效，请重新登录");
    return true;
  }
  if (error instanceof NetworkError) setNetwork(false);
  return false;
}

// ------------------------------------------------------------------ writes

async function write(name, args, { base_version = null, label, done }) {
  await outbox.add({ name, args, base_version, label });
  view.toast(networkOk && navigator.onLine !== false ? `已保存：${label}` : `已保存在手机上，联网后自动上传`);
  if (done) done();
}

// ------------------------------------------------------------------ screens

const ROUTES = {
  tasks: {
    title: "我的任务",
    tab: "tasks",
    paths: () => ["/api/me/tasks", "/api/follow-ups"],
    render(key, args, [t, f], meta) {
      const tasks = O.overlayTasks(t.data, mine(t));
      const followUps = O.overlayFollowUps(f.data, mine(f), today());
      view.tasks(key, tasks, followUps, meta, {
        plusOne: (stage) =>
          write(
            "log_stage_activity",
            { id: uuid4(), stage_id: stage.stage_id, occurred_on: today(), note: "" },
            { label: `${stage.name} +1（${F.shortDate(today())}）` },
          ),
        followUpDone: (item) =>
          write(
            "set_follow_up",
            { communication_id: item.record_id, next_follow_up_on: item.due_on, done: true },
            {
              base_version: baseFor("set_follow_up", { communication_id: item.record_id }, item.version, f.fetchedAt),
              label: `跟进 ${item.parent_name} 完成`,
            },
          ),
      });
    },
  },
  stage: {
    title: "记录环节",
    tab: "tasks",
    form: true,
    paths: () => ["/api/me/tasks"],
    render(key, [stageId], [t]) {
      const stage = find(t.data.stages, "stage_id", stageId, "个环节");
      view.stageForm(key, stage, {
        save: (s, note) =>
          write(
            "log_stage_activity",
            { id: uuid4(), stage_id: s.stage_id, occurred_on: today(), note },
            { label: `${s.name} +1（${F.shortDate(today())}）`, done: () => leave("#/tasks") },
          ),
      });
    },
  },
  ranking: {
    title: "排行",
    tab: "ranking",
    paths: () => ["/api/ranking?metric=revenue", "/api/ranking?metric=consumption"],
    render(key, args, [revenue, consumption], meta) {
      view.ranking(key, { revenue: revenue.data, consumption: consumption.data }, ui.metric, meta, {
        metric: (m) => {
          ui.metric = m;
          redraw();
        },
      });
    },
  },
  timetable: {
    title: "课表",
    tab: "timetable",
    paths: ([week]) => [ttPath(F.isIsoDate(week) ? F.mondayOf(week) : thisMonday())],
    render(key, [week], [e], meta) {
      const monday = F.isIsoDate(week) ? F.mondayOf(week) : thisMonday();
      const scope = monday === thisMonday() ? ui.ttScope : "week";
      view.timetable(key, O.overlayTimetable(e.data, mine(e)), { week: monday, today: today(), scope, me: session.staff.staff_id }, meta, {
        scope: (s) => {
          ui.ttScope = s;
          redraw();
        },
        week: (days) => {
          ui.ttScope = "week";
          go(`#/timetable/${F.addDays(monday, days)}`);
        },
      });
    },
  },
  lesson: {
    title: "点名",
    tab: "timetable",
    paths: ([week]) => [ttPath(F.isIsoDate(week) ? F.mondayOf(week) : thisMonday())],
    render(key, [, lessonId], [e]) {
      const lesson = find(O.overlayTimetable(e.data, mine(e)), "lesson_id", lessonId, "节课");
      if (!ui.drafts.has(lessonId)) ui.drafts.set(lessonId, new Map());
      const draft = ui.drafts.get(lessonId);
      view.lesson(key, lesson, { draft, today: today() }, {
        mark: (studentId, status) => {
          draft.set(studentId, status);
          redraw();
        },
        allPresent: () => {
          for (const s of lesson.students) if (!s.attendance && !draft.has(s.student_id)) draft.set(s.student_id, "present");
          redraw();
        },
        save: () => {
          const marks = [];
          for (const s of lesson.students) {
            const status = draft.get(s.student_id);
            if (!status || (s.attendance && s.attendance.status === status)) continue;
            marks.push({
              student_id: s.student_id,
              status,
              attendance_id: s.attendance ? s.attendance.attendance_id : uuid4(),
              note: "",
            });
          }
          draft.clear();
          if (!marks.length) return redraw();
          write("mark_attendance", { lesson_id: lesson.lesson_id, marks }, {
            label: `点名：${lesson.title || lesson.course_name} ${F.shortDate(lesson.lesson_on)}（${marks.length} 人）`,
          });
        },
      });
    },
  },
  students: {
    title: "成长记录",
    tab: "students",
    paths: () => ["/api/students"],
    render(key, args, [e], meta) {
      view.students(key, sortStudents(O.overlayStudents(e.data, mine(e), myName())), { filter: ui.filters.students, shown: ui.shown.students }, meta, {
        filter: (v) => {
          ui.filters.students = v;
          ui.shown.students = PAGE;
          redraw();
        },
        more: () => {
          ui.shown.students += PAGE;
          redraw();
        },
      });
    },
  },
  student: {
    title: "学员",
    tab: "students",
    paths: ([id]) => [`/api/students/${id}`],
    render(key, args, [e], meta) {
      view.student(key, O.overlayStudent(e.data, mine(e), myName()), { today: today() }, meta);
    },
  },
  card: {
    title: "成长卡片",
    tab: "students",
    paths: ([id]) => [`/api/students/${id}`],
    render(key, [studentId], [e]) {
      const student = e.data;
      const card = growthCard(studentId);
      view.growthCard(key, student, card, {
        retry: () => {
          dropCard();
          redraw();
        },
        share: card.blob && canShareFile(card.blob, student.name) ? () => shareCard(card.blob, student.name) : null,
      });
    },
  },
  growth: {
    title: "写成长记录",
    tab: "students",
    form: true,
    paths: ([id]) => [`/api/students/${id}`],
    render(key, [studentId, lessonId], [e]) {
      const student = e.data;
      let lesson = null;
      for (const [path, entry] of memo) {
        if (lessonId && path.startsWith("/api/timetable")) lesson = entry.data.find((l) => l.lesson_id === lessonId) || lesson;
      }
      view.growthForm(key, student, { today: today(), lesson }, {
        save: (v) =>
          write(
            "add_growth_record",
            { id: uuid4(), student_id: studentId, lesson_id: lessonId || null, ...v },
            { label: `成长记录：${student.name}（${F.shortDate(v.recorded_on)}）`, done: () => leave(`#/student/${studentId}`) },
          ),
      });
    },
  },
  parents: {
    title: "家长",
    tab: "parents",
    paths: () => ["/api/parents"],
    render(key, args, [e], meta) {
      view.parents(key, sortParents(O.overlayParents(e.data, mine(e), myName())), { filter: ui.filters.parents, shown: ui.shown.parents, today: today() }, meta, {
        filter: (v) => {
          ui.filters.parents = v;
          ui.shown.parents = PAGE;
          redraw();
        },
        more: () => {
          ui.shown.parents += PAGE;
          redraw();
        },
      });
    },
  },
  parent: {
    title: "家长",
    tab: "parents",
    paths: () => ["/api/parents"],
    render(key, [id], [e], meta) {
      const p = find(O.overlayParents(e.data, mine(e), myName()), "parent_id", id, "位家长");
      view.parent(key, p, { today: today() }, meta);
    },
  },
  talk: {
    title: "沟通记录",
    tab: "parents",
    form: true,
    paths: () => ["/api/parents"],
    render(key, [id], [e]) {
      const p = find(O.overlayParents(e.data, mine(e), myName()), "parent_id", id, "位家长");
      view.talkForm(key, p, { today: today() }, {
        save: (v) =>
          write(
            "add_communication",
            { id: uuid4(), parent_id: p.parent_id, ...v },
            { label: `${v.channel}沟通：${p.name}（${F.shortDate(v.occurred_on)}）`, done: () => leave(`#/parent/${p.parent_id}`) },
          ),
      });
    },
  },
  follow: {
    title: "跟进",
    tab: "parents",
    form: true,
    paths: () => ["/api/parents"],
    render(key, [parentId, recordId], [e]) {
      const p = find(O.overlayParents(e.data, mine(e), myName()), "parent_id", parentId, "位家长");
      const c = find(p.communications, "record_id", recordId, "条沟通记录");
      view.followForm(key, p, c, { today: today() }, {
        save: ({ next_follow_up_on, done }) => {
          const args = { communication_id: c.record_id, next_follow_up_on };
          if (done !== null && done !== undefined) args.done = done;
          const what = done ? "完成" : next_follow_up_on ? `改到 ${F.shortDate(next_follow_up_on)}` : "取消";
          return write("set_follow_up", args, {
            base_version: baseFor("set_follow_up", args, c.version, e.fetchedAt),
            label: `跟进 ${p.name}：${what}`,
            done: () => leave(`#/parent/${p.parent_id}`),
          });
        },
      });
    },
  },
  "parent-edit": {
    title: "编辑家长",
    tab: "parents",
    form: true,
    paths: () => ["/api/parents"],
    render(key, [id], [e]) {
      const p = find(O.overlayParents(e.data, mine(e), myName()), "parent_id", id, "位家长");
      const base = baseFor("edit_parent", { parent_id: p.parent_id }, p.version, e.fetchedAt);
      view.parentEdit(key, p, {
        save: (fields) => {
          const names = F.PARENT_FIELDS.filter(([n]) => n in fields).map(([, label]) => label);
          return write("edit_parent", { parent_id: p.parent_id, fields }, {
            base_version: base,
            label: `修改家长 ${p.name}：${names.join("、")}`,
            done: () => leave(`#/parent/${p.parent_id}`),
          });
        },
      });
    },
  },
  trials: {
    title: "试听",
    tab: "trials",
    paths: () => [trialsPath()],
    render(key, args, [e], meta) {
      view.trials(key, O.overlayTrials(e.data, mine(e)), { scope: ui.trialScope, shown: ui.shown.trials, today: today() }, meta, {
        scope: (s) => {
          ui.trialScope = s;
          ui.shown.trials = PAGE;
          redraw();
        },
        more: () => {
          ui.shown.trials += PAGE;
          redraw();
        },
      });
    },
  },
  trial: {
    title: "试听结果",
    tab: "trials",
    form: true,
    paths: () => [trialsPath()],
    render(key, [id], [e]) {
      const t = find(O.overlayTrials(e.data, mine(e)), "trial_id", id, "次试听");
      const base = baseFor("record_trial_outcome", { trial_id: t.trial_id }, t.version, e.fetchedAt);
      view.trialForm(key, t, { today: today() }, {
        save: ({ status, outcome, feedback }) => {
          const args = { trial_id: t.trial_id, status, outcome };
          if (feedback !== undefined) args.feedback = feedback;
          return write("record_trial_outcome", args, {
            base_version: base,
            label: `试听：${t.student_name} ${F.TRIAL_STATUS_NAMES[status]} · ${F.TRIAL_OUTCOME_NAMES[outcome]}`,
            done: () => leave("#/trials"),
          });
        },
      });
    },
  },
  me: {
    title: "我的",
    tab: "me",
    paths: () => ["/api/me"],
    render(key, args, [e], meta) {
      const pending = outbox.pendingCount;
      const status = outbox.status;
      view.me(
        key,
        e.data,
        {
          sync: { pending, state: status.state, error: status.error && status.error.message, lastSuccess: status.lastSuccess },
          live: liveConnected,
          problems: outbox.problems.length,
          pendingWarning: pending
            ? `还有 ${pending} 条记录没上传。退出后它们仍保存在这台手机上，你下次登录时会自动上传。`
            : "",
        },
        meta,
        {
          syncNow: () => {
            outbox.kick();
            refresh();
          },
          revoke: async (device) => {
            try {
              await api.del(`/api/me/devices/${device.device_id}`);
              view.toast(`已注销：${device.name}`);
              show({ refresh: true });
            } catch (error) {
              if (!handleError(error)) view.toast(error instanceof NetworkError ? NO_SERVER : error.message);
            }
          },
          logout,
        },
      );
    },
  },
  problems: {
    title: "需处理",
    tab: "me",
    paths: () => [],
    render(key) {
      view.problems(key, outbox.problems, {
        dismiss: (uid) => outbox.dismiss(uid),
        dismissAll: () => outbox.dismissAll(),
      });
    },
  },
};

// ------------------------------------------------------------------ scope

// Rows can leave this person's scope without changing (a student handed to another
// consultant takes their parents and records along). The screens kept for reading offline
// must lose them too: on every hello and poke, the pull since the last version seen names
// them (`gone`, asked with only=gone so no rows travel), and each kept screen forgets them. `pull:<staff>` holds that version.
let scopeRun = Promise.resolve();
let enteredAt = 0;

function followScope(version) {
  if (!Number.isSafeInteger(version) || !session) return;
  const who = session;
  scopeRun = scopeRun
    .then(() => (session === who ? dropGone(version) : null))
    .catch((error) => {
      if (!handleError(error)) console.warn("scope check failed", error);
    });
}

async function dropGone(version) {
  const staffId = session.staff.staff_id;
  const cursorKey = `pull:${staffId}`;
  const cursor = await storage.get(cursorKey);
  if (cursor && cursor.since >= version) return;
  let all = false;
  let since = cursor ? cursor.since : 0;
  const answers = [];
  if (cursor) {
    try {
      // only=gone: just the ids that left (or a reset), up to now in one small answer; the
      // screens fetch their own rows from the view routes.
      const answer = await api.get(`/api/pull?since=${since}&schema_version=${SCHEMA_VERSION}&only=gone`);
      if (session === null || session.staff.staff_id !== staffId) return;
      since = answer.version;
      if (answer.reset) all = true;
      else answers.push(answer);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
      all = true; // the file was replaced: nothing kept can be trusted
    }
  }
  const prefix = `cache:${staffId}:`;
  let touched = false;
  for (const [key, entry] of await storage.entries(prefix)) {
    const path = key.slice(prefix.length);
    // Without a version to start from (the first time), screens kept from an earlier visit
    // cannot be checked: they go; what this visit fetched is newer than the hello.
    const stale = all || (!cursor && entry.fetchedAt < enteredAt);
    const data = stale ? null : forget(path, entry.data, goneSets(answers));
    if (data === entry.data) continue;
    touched ||= Boolean(drawn && drawn.paths.includes(path));
    if (data === null) {
      memo.delete(path);
      await storage.delete(key);
    } else {
      const next = { ...entry, data };
      memo.set(path, next);
      await storage.set(key, next);
    }
  }
  if (all) memo.clear();
  await storage.set(cursorKey, { since: Math.max(since, version) });
  if (touched || all) refresh();
}

// ------------------------------------------------------------------ growth cards

// The card is a picture drawn by the front-desk PC, fetched with the token as a blob; only the
// card on screen is kept (its object URL is revoked when another is fetched or on logout).
const CARD_OFFLINE = "成长卡片要由前台电脑生成，需要连接前台电脑：请连上同一个 Wi-Fi 后重试。";
let card = null; // {studentId, url, blob, error, busy}

function dropCard() {
  if (card && card.url) URL.revokeObjectURL(card.url);
  card = null;
}

function growthCard(studentId) {
  if (card && card.studentId === studentId) return card;
  dropCard();
  card = { studentId, busy: true };
  const mineNow = card;
  fetchCard(studentId).then(
    (blob) => {
      if (card !== mineNow) return;
      card = { studentId, blob, url: URL.createObjectURL(blob) };
      redraw();
    },
    (error) => {
      if (card !== mineNow) return;
      if (handleError(error)) return;
      const message = error instanceof NetworkError ? CARD_OFFLINE : error.message;
      card = { studentId, error: message };
      redraw();
    },
  );
  return card;
}

async function fetchCard(studentId) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30000);
  try {
    let response;
    try {
      response = await fetch(`/api/students/${encodeURIComponent(studentId)}/growth-card.png`, {
        headers: { Authorization: `Bearer ${session.token}`, Accept: "image/png" },
        cache: "no-store",
        signal: abort.signal,
      });
    } catch (error) {
      throw new NetworkError(error);
    }
    if (!response.ok) {
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      throw new ApiError(response.status, body, response.headers);
    }
    try {
      return await response.blob();
    } catch (error) {
      throw new NetworkError(error);
    }
  } finally {
    clearTimeout(timer);
  }
}

const cardFile = (blob, name) => new File([blob], `成长卡片-${name}.png`, { type: "image/png" });

/** Whether the browser can hand the picture to another app (plain HTTP usually cannot). */
function canShareFile(blob, name) {
  try {
    return Boolean(navigator.canShare && navigator.share && navigator.canShare({ files: [cardFile(blob, name)] }));
  } catch {
    return false;
  }
}

function shareCard(blob, name) {
  navigator.share({ files: [cardFile(blob, name)], title: `${name}的成长卡片` }).catch(() => {});
}

const STATUS_ORDER = { enrolled: 0, trial: 1, paused: 2, lead: 3, churned: 4 };

/** Students who come to lessons first, then trials, paused, leads and churned (stable by name). */
function sortStudents(list) {
  return list
    .map((s, i) => [STATUS_ORDER[s.status] ?? 5, i, s])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , s]) => s);
}

/** Parents with a follow-up coming first (soonest first), then by name as the server sent. */
function sortParents(list) {
  const due = list.filter((p) => p.next_follow_up_on).sort((a, b) => (a.next_follow_up_on < b.next_follow_up_on ? -1 : a.next_follow_up_on > b.next_follow_up_on ? 1 : 0));
  return [...due, ...list.filter((p) => !p.next_follow_up_on)];
}

// ------------------------------------------------------------------ session

function loadSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    return s && typeof s.token === "string" && s.staff && s.staff.staff_id ? s : null;
  } catch {
    return null;
  }
}

async function startSession(answer) {
  await endSession({ keepLogin: true });
  session = { token: answer.token, staff: answer.staff };
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  localStorage.setItem(LAST_STAFF_KEY, answer.staff.staff_id);
  login = { ...login, picked: null, error: "", busy: false };
  await enter();
}

async function enter() {
  await storageReady;
  enteredAt = Date.now();
  view.setShell(true);
  memo.clear();
  drawn = null;
  outboxSignature = "";
  outbox = new Outbox({
    storage,
    key: `outbox:${session.staff.staff_id}`,
    push: (body) => api.post("/api/push", body),
    newClientId,
    newUid: uuid4,
    onChange: onOutboxChange,
    onEvent: onOutboxEvent,
  });
  await outbox.open();
  live = new Live({
    url: () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live?token=${encodeURIComponent(session.token)}`,
    onPoke: (version) => {
      outbox.kick();
      refresh();
      followScope(version);
    },
    onHello: followScope,
    onOpen: () => {
      setNetwork(true);
      outbox.kick();
      refresh();
    },
    onRevoked: () => sessionLost("这台设备已被注销，请重新登录"),
    onState: (connected) => {
      liveConnected = connected;
      if (drawn && drawn.name === "me") redraw();
    },
  });
  live.start();
  checkServer().catch(handleError);
  if (!/^#\//.test(location.hash)) history.replaceState(null, "", "#/tasks");
  await show();
  outbox.kick();
}

async function endSession({ keepLogin = false, clearCache = false } = {}) {
  clearTimeout(refreshTimer);
  if (live) live.stop();
  if (outbox) {
    outbox.stop();
    await outbox.whenIdle();
  }
  if (clearCache && session) {
    await storage.deletePrefix(`cache:${session.staff.staff_id}:`).catch(() => {});
    await storage.delete(`pull:${session.staff.staff_id}`).catch(() => {});
  }
  live = null;
  outbox = null;
  session = null;
  dropCard();
  drawn = null;
  memo.clear();
  ui.drafts.clear();
  localStorage.removeItem(SESSION_KEY);
  if (!keepLogin) view.setBadges(0, 0);
}

async function sessionLost(message) {
  if (!session) return;
  await endSession({ clearCache: true });
  showLogin(message);
}

async function logout() {
  try {
    await api.post("/api/logout");
  } catch (error) {
    if (error instanceof NetworkError) view.toast("没连上前台电脑：已在本机退出，请让校长在电脑上注销这台设备");
  }
  await endSession({ clearCache: true });
  showLogin("");
}

async function reloadForNewVersion() {
  const last = Number(sessionStorage.getItem(RELOAD_KEY)) || 0;
  if (Date.now() - last < 60000) {
    // Reloaded a moment ago and still refused: do not loop; keep the entries and retry later.
    view.toast("手机页面与前台电脑的版本不一致，请稍后刷新页面");
    if (outbox) outbox.schedule();
    return;
  }
  sessionStorage.setItem(RELOAD_KEY, String(Date.now()));
  // The outbox lives in IndexedDB; wait until nothing is being written, then load the new page.
  if (outbox) {
    outbox.stop();
    await outbox.whenIdle();
  }
  location.reload();
}

function onOutboxChange(state) {
  view.setBadges(state.entries.length, state.problems.length);
  const signature = `${state.clientId}|${state.entries.map((e) => `${e.mutation_id}:${e.base_version}`).join(",")}|${state.settled.length}|${state.problems.length}`;
  if (signature === outboxSignature) return;
  outboxSignature = signature;
  redraw();
}

function onOutboxEvent(event) {
  if (event.type === "pushed") refresh();
  else if (event.type === "unauthorized") sessionLost("登录已失效，请重新登录");
  else if (event.type === "stale") reloadForNewVersion();
  else if (event.type === "status") {
    if (event.status.state === "offline") setNetwork(false);
    else if (event.status.state === "idle" && event.status.lastSuccess) setNetwork(true);
    if (drawn && drawn.name === "me") redraw();
  }
}

// ------------------------------------------------------------------ login

function drawLogin() {
  view.setTitle("登录", "");
  view.login(login, {
    pick: (candidate) => {
      login = { ...login, picked: candidate, error: "" };
      drawLogin();
    },
    unpick: () => {
      login = { ...login, picked: null, error: "" };
      drawLogin();
    },
    filter: (value) => {
      login = { ...login, filter: value };
      drawLogin();
    },
    retry: () => showLogin(""),
    login: doLogin,
  });
  if (login.candidates && !login.picked) performance.mark("dabiao:ready:login");
}

async function showLogin(message) {
  view.setShell(false);
  login = { ...login, error: message || "", busy: true, candidates: null, picked: null, pairing: false };
  drawLogin();
  try {
    const [health, candidates] = await Promise.all([checkServer(), api.get("/api/login/candidates")]);
    const last = localStorage.getItem(LAST_STAFF_KEY);
    login.campuses = health.campuses;
    login.candidates = [...candidates.filter((c) => c.staff_id === last), ...candidates.filter((c) => c.staff_id !== last)];
  } catch (error) {
    login.error = error instanceof NetworkError ? NO_SERVER : error.message;
  }
  login.busy = false;
  drawLogin();
}

async function doLogin(candidate, pin) {
  login = { ...login, busy: true, error: "" };
  drawLogin();
  try {
    const answer = await api.post("/api/login", {
      staff_id: candidate.staff_id,
      pin,
      device_name: F.deviceName(navigator.userAgent),
    });
    await startSession(answer);
  } catch (error) {
    login.busy = false;
    if (error instanceof NetworkError) login.error = NO_SERVER;
    else {
      login.error = error.message;
      if (error.status === 429 && error.retryAfter) login.lockedUntil = Date.now() + error.retryAfter * 1000;
    }
    drawLogin();
  }
}

async function pair(token) {
  view.setShell(false);
  login = { ...login, pairing: true, error: "" };
  drawLogin();
  try {
    await checkServer().catch(() => {});
    const answer = await api.post("/api/pair", { token, device_name: F.deviceName(navigator.userAgent) });
    login.pairing = false;
    await startSession(answer);
  } catch (error) {
    login.pairing = false;
    if (session) {
      // Already logged in on this phone: keep that login and say why pairing failed.
      view.toast(error instanceof NetworkError ? NO_SERVER : error.message);
      if (outbox) {
        view.setShell(true);
        show();
      } else await enter();
      return;
    }
    showLogin(error instanceof NetworkError ? NO_SERVER : error.message);
  }
}

// ------------------------------------------------------------------ start

export async function start() {
  storageReady = openStorage().then((opened) => {
    storage = opened;
  });
  api = makeApi(() => (session ? session.token : null));
  view.initShell({ onProblems: () => go("#/problems"), onOutbox: () => go("#/me") });
  window.addEventListener("hashchange", () => {
    if (/^#pair=/.test(location.hash)) return startPairing();
    navigated = true;
    show();
  });
  window.addEventListener("online", () => {
    setNetwork(true);
    if (!session) return;
    outbox.kick();
    live.nudge();
    refresh();
  });
  window.addEventListener("offline", () => setNetwork(false));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || !session) return;
    live.nudge();
    outbox.kick();
    refresh();
  });
  if (/^#pair=/.test(location.hash)) return startPairing();
  session = loadSession();
  if (session) await enter();
  else await showLogin("");
}

function startPairing() {
  const token = decodeURIComponent(location.hash.slice("#pair=".length).split("&")[0]);
  // The token is single-use and secret: take it out of the address bar and history at once.
  history.replaceState(null, "", `${location.pathname}${location.search}#/tasks`);
  if (session === null) session = loadSession();
  return pair(token);
}
