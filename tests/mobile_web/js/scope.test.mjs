// Rows that left the person's scope leave the screens kept on the phone.
import assert from "node:assert/strict";
import { test } from "node:test";

import { forget, goneSets } from "../../../mobile_web/js/scope.js";

const gone = (lists) => goneSets([{ gone: lists }]);

test("gone lists of several answers merge into sets per table", () => {
  const sets = goneSets([{ gone: { students: ["a"] } }, { gone: { students: ["b"], parents: ["p"] } }, {}]);
  assert.deepEqual([...sets.students].sort(), ["a", "b"]);
  assert.deepEqual([...sets.parents], ["p"]);
});

test("nothing gone: every screen comes back as the very same object", () => {
  const none = gone({ students: ["zzz"] });
  const screens = {
    "/api/me/tasks": { stages: [], follow_ups: [{ record_id: "c1", parent_id: "p1" }] },
    "/api/follow-ups": [{ record_id: "c1", parent_id: "p1" }],
    "/api/timetable?start=2026-11-16&end=2026-11-22": [{ lesson_id: "l1", students: [{ link_id: "k1", student_id: "s1" }] }],
    "/api/students": [{ student_id: "s1", recent_growth: [{ record_id: "g1", student_id: "s1" }] }],
    "/api/students/s1": { student_id: "s1", parents: [{ link_id: "k", parent_id: "p1" }], growth_records: [] },
    "/api/parents": [{ parent_id: "p1", students: [{ link_id: "k", student_id: "s1" }], communications: [] }],
    "/api/trials?start=2026-09-19&end=2026-12-18": [{ trial_id: "t1" }],
    "/api/ranking?metric=revenue": { rows: [{ staff_id: "x" }] },
    "/api/me": { devices: [] },
  };
  for (const [path, data] of Object.entries(screens)) assert.equal(forget(path, data, none), data, path);
});

test("a student handed away leaves the lists, the lessons, and their own page goes", () => {
  const g = gone({ students: ["s1"], parents: ["p1"], student_parents: ["k1"], growth_records: ["g1"], communication_records: ["c1"] });
  assert.equal(forget("/api/students/s1", { student_id: "s1", parents: [], growth_records: [] }, g), null);
  assert.deepEqual(
    forget("/api/students", [{ student_id: "s1", recent_growth: [] }, { student_id: "s2", recent_growth: [] }], g).map((s) => s.student_id),
    ["s2"],
  );
  const lessons = forget("/api/timetable?start=a&end=b", [
    { lesson_id: "l1", students: [{ link_id: "x1", student_id: "s1" }, { link_id: "x2", student_id: "s2" }] },
  ], g);
  assert.deepEqual(lessons[0].students.map((s) => s.student_id), ["s2"]);
  const parents = forget("/api/parents", [
    { parent_id: "p1", students: [], communications: [] },
    { parent_id: "p2", students: [{ link_id: "k1", student_id: "s1" }, { link_id: "k2", student_id: "s3" }], communications: [{ record_id: "c1" }, { record_id: "c2" }] },
  ], g);
  assert.deepEqual(parents.map((p) => p.parent_id), ["p2"]);
  assert.deepEqual(parents[0].students.map((s) => s.student_id), ["s3"]);
  assert.deepEqual(parents[0].communications.map((c) => c.record_id), ["c2"]);
  const other = forget("/api/students/s2", {
    student_id: "s2",
    parents: [{ link_id: "k1", parent_id: "p9" }, { link_id: "k3", parent_id: "p3" }],
    growth_records: [{ record_id: "g1", student_id: "s2" }, { record_id: "g2", student_id: "s2" }],
  }, g);
  assert.deepEqual(other.parents.map((p) => p.parent_id), ["p3"]);
  assert.deepEqual(other.growth_records.map((r) => r.record_id), ["g2"]);
});

test("lessons, trials and follow-ups that are no longer mine go", () => {
  const g = gone({ lessons: ["l1"], trial_lessons: ["t1"], communication_records: ["c1"] });
  assert.deepEqual(forget("/api/timetable?x", [{ lesson_id: "l1", students: [] }, { lesson_id: "l2", students: [] }], g).map((l) => l.lesson_id), ["l2"]);
  assert.deepEqual(forget("/api/trials?x", [{ trial_id: "t1" }, { trial_id: "t2" }], g), [{ trial_id: "t2" }]);
  const tasks = { stages: [1], follow_ups: [{ record_id: "c1", parent_id: "p" }, { record_id: "c2", parent_id: "p" }] };
  const next = forget("/api/me/tasks", tasks, g);
  assert.deepEqual(next.follow_ups.map((f) => f.record_id), ["c2"]);
  assert.deepEqual(next.stages, [1]);
  assert.deepEqual(tasks.follow_ups.length, 2); // the kept answer itself is not changed
  assert.deepEqual(forget("/api/follow-ups", tasks.follow_ups, g).map((f) => f.record_id), ["c2"]);
});
