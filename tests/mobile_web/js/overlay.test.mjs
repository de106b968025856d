// Optimistic screens: server data with the phone's own unanswered writes laid over it.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as O from "../../../mobile_web/js/overlay.js";

const pending = (name, args) => ({ name, args, pending: true });
const answered = (name, args) => ({ name, args, pending: false });

const tasks = {
  today: "2026-11-18",
  period: { start: "2026-11-16", end: "2026-11-22" },
  stages: [
    { stage_id: "s1", name: "邀约", target_count: 3, actual_count: 1 },
    { stage_id: "s2", name: "到访", target_count: null, actual_count: 0 },
  ],
  follow_ups: [],
};

test("+1s of the week add to the stage counts, pending ones counted apart", () => {
  const items = [
    pending("log_stage_activity", { stage_id: "s1", occurred_on: "2026-11-18" }),
    answered("log_stage_activity", { stage_id: "s1", occurred_on: "2026-11-17" }),
    pending("log_stage_activity", { stage_id: "s1", occurred_on: "2026-11-15" }), // last week
  ];
  const shown = O.overlayTasks(tasks, items);
  assert.equal(shown.stages[0].actual_count, 3);
  assert.equal(shown.stages[0].pending_count, 1);
  assert.equal(shown.stages[1], tasks.stages[1]);
  assert.equal(tasks.stages[0].actual_count, 1); // the cached original is untouched
});

test("follow-ups marked done leave the list; moved ones show the new date", () => {
  const list = [
    { record_id: "c1", due_on: "2026-11-12", overdue: true },
    { record_id: "c2", due_on: "2026-11-15", overdue: true },
    { record_id: "c3", due_on: "2026-11-18", overdue: false },
  ];
  const items = [
    pending("set_follow_up", { communication_id: "c1", next_follow_up_on: "2026-11-12", done: true }),
    pending("set_follow_up", { communication_id: "c2", next_follow_up_on: "2026-11-25" }),
  ];
  const shown = O.overlayFollowUps(list, items, "2026-11-18");
  assert.deepEqual(shown.map((f) => [f.record_id, f.due_on, f.overdue]), [
    ["c2", "2026-11-25", false],
    ["c3", "2026-11-18", false],
  ]);
});

test("attendance marks show on the lesson with their new id while pending", () => {
  const lessons = [
    {
      lesson_id: "L1",
      students: [
        { student_id: "a", attendance: null },
        { student_id: "b", attendance: { attendance_id: "x", version: 5, status: "present", charged_hours: "1.50" } },
        { student_id: "c", attendance: null },
      ],
    },
    { lesson_id: "L2", students: [{ student_id: "a", attendance: null }] },
  ];
  const items = [
    pending("mark_attendance", {
      lesson_id: "L1",
      marks: [
        { student_id: "a", status: "present", attendance_id: "n1" },
        { student_id: "b", status: "leave", attendance_id: "x" },
      ],
    }),
  ];
  const [l1, l2] = O.overlayTimetable(lessons, items);
  assert.deepEqual(l1.students[0].attendance, { attendance_id: "n1", version: 0, status: "present", charged_hours: null, note: "", pending: true });
  assert.equal(l1.students[1].attendance.status, "leave");
  assert.equal(l1.students[1].attendance.charged_hours, null); // re-marked: the server re-charges
  assert.equal(l1.students[2].attendance, null);
  assert.equal(l2, lessons[1]);
});

test("growth records written on the phone come first, newest date first", () => {
  const detail = {
    student_id: "st",
    growth_records: [{ record_id: "g0", recorded_on: "2026-11-10" }],
  };
  const items = [
    pending("add_growth_record", { id: "g1", student_id: "st", recorded_on: "2026-11-18", progress: 4, focus: 5, performance: 3, learning_ability: 4, mastery: 2, comment: "好" }),
    pending("add_growth_record", { id: "g2", student_id: "other", recorded_on: "2026-11-18" }),
    answered("add_growth_record", { id: "g0", student_id: "st", recorded_on: "2026-11-10" }), // already in the data
  ];
  const shown = O.overlayStudent(detail, items, "王磊");
  assert.deepEqual(shown.growth_records.map((g) => [g.record_id, g.pending]), [["g1", true], ["g0", undefined]]);
  assert.equal(shown.growth_records[0].focus, 5);
  assert.equal(shown.growth_records[0].teacher_name, "王磊");
});

test("parent edits, new contacts and follow-ups show on the parent", () => {
  const parents = [
    {
      parent_id: "p1",
      name: "丛梅",
      phone: "1",
      wechat: "w",
      communications: [{ record_id: "c1", occurred_on: "2026-11-10", next_follow_up_on: "2026-11-12", follow_up_done: false }],
      next_follow_up_on: "2026-11-12",
    },
    { parent_id: "p2", name: "任丹", communications: [], next_follow_up_on: null },
  ];
  const items = [
    pending("edit_parent", { parent_id: "p1", fields: { phone: "139" } }),
    answered("edit_parent", { parent_id: "p1", fields: { wechat: "wx2" } }),
    pending("set_follow_up", { communication_id: "c1", next_follow_up_on: "2026-11-12", done: true }),
    pending("add_communication", { id: "c2", parent_id: "p1", occurred_on: "2026-11-18", channel: "微信", content: "约了周六", next_follow_up_on: "2026-11-21" }),
  ];
  const [p1, p2] = O.overlayParents(parents, items);
  assert.equal(p1.phone, "139");
  assert.equal(p1.wechat, "wx2");
  assert.deepEqual(p1.pending_fields, ["phone"]);
  assert.deepEqual(p1.communications.map((c) => [c.record_id, c.pending, c.follow_up_done]), [
    ["c2", true, false],
    ["c1", true, true],
  ]);
  assert.equal(p1.next_follow_up_on, "2026-11-21");
  assert.equal(p2, parents[1]);
});

test("trial outcomes recorded on the phone replace the shown ones", () => {
  const trials = [
    { trial_id: "t1", status: "held", outcome: "pending", feedback: "旧" },
    { trial_id: "t2", status: "held", outcome: "pending", feedback: "" },
  ];
  const items = [pending("record_trial_outcome", { trial_id: "t1", status: "held", outcome: "signed" })];
  const [t1, t2] = O.overlayTrials(trials, items);
  assert.deepEqual([t1.status, t1.outcome, t1.feedback, t1.pending], ["held", "signed", "旧", true]);
  assert.equal(t2, trials[1]);
});
