"""The Chinese vocabulary of the demo: campuses, courses, names, schools and message templates.

Everything here is plain data. The generator picks from it with its seeded RNG, so the lists'
order matters for determinism: never build them from sets.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- campuses

# (short name used in the campus name, district for the address, code suffix)
CAMPUS_SITES: tuple[tuple[str, str, str], ...] = (
    ("滨江", "滨江区", "BJ"),
    ("西湖", "西湖区", "XH"),
    ("拱墅", "拱墅区", "GS"),
    ("上城", "上城区", "SC"),
    ("萧山", "萧山区", "XS"),
    ("余杭", "余杭区", "YH"),
    ("临平", "临平区", "LP"),
    ("钱塘", "钱塘区", "QT"),
    ("富阳", "富阳区", "FY"),
    ("临安", "临安区", "LA"),
    ("之江", "西湖区", "ZJ"),
    ("城西", "西湖区", "CX"),
    ("武林", "拱墅区", "WL"),
    ("下沙", "钱塘区", "XSH"),
    ("九堡", "上城区", "JB"),
    ("良渚", "余杭区", "LZ"),
    ("未来科技城", "余杭区", "WK"),
    ("奥体", "滨江区", "AT"),
    ("湘湖", "萧山区", "XHU"),
    ("闲林", "余杭区", "XL"),
)

ROADS: tuple[str, ...] = (
    "江南大道", "滨盛路", "长河路", "文三路", "莫干山路", "解放东路", "市心中路", "文一西路",
    "临平大道", "学林街", "之江路", "古墩路", "延安路", "学源街", "九和路", "良渚大道",
    "五常大道", "湘湖路", "丰潭路", "钱江路",
)

BUILDINGS: tuple[str, ...] = (
    "星光大道商业中心3楼", "宝龙广场2楼", "银泰城4楼", "万达广场3楼", "龙湖天街4楼",
    "印象城3楼", "文化中心2楼", "奥莱广场2楼", "邻里中心3楼", "金街商业楼2楼",
)

CAMPUS_NAME = "达标艺术中心·{short}校区"

# --------------------------------------------------------------------------- courses


@dataclass(frozen=True, slots=True)
class CourseSpec:
    """A course a campus may offer, with the facts the generator needs about it."""

    key: str
    name: str
    subject: str
    price_yuan: tuple[int, int]  # per hour, the campus picks a price in this range (step 10)
    hours_per_lesson: str  # Decimal text
    capacity: int  # students per class; 1 is one-to-one
    demand: float  # relative share of interest among leads
    min_age: int
    room_kind: str  # "piano", "dance" or "general"


COURSES: tuple[CourseSpec, ...] = (
    CourseSpec("piano", "少儿钢琴（一对一）", "音乐", (200, 280), "1", 1, 1.3, 4, "piano"),
    CourseSpec("art", "创意美术", "美术", (120, 160), "1.5", 8, 1.3, 4, "general"),
    CourseSpec("english", "少儿英语", "英语", (150, 200), "1.5", 8, 1.2, 5, "general"),
    CourseSpec("math", "数学思维", "数学", (150, 190), "1.5", 10, 1.0, 5, "general"),
    CourseSpec("scratch", "Scratch 少儿编程", "编程", (170, 210), "1.5", 6, 0.8, 7, "general"),
    CourseSpec("calligraphy", "硬笔书法", "书法", (100, 130), "1", 8, 0.7, 6, "general"),
    CourseSpec("dance", "中国舞", "舞蹈", (100, 130), "1.5", 12, 0.7, 4, "dance"),
    CourseSpec("go", "围棋", "围棋", (120, 150), "1.5", 8, 0.5, 5, "general"),
    CourseSpec("sketch", "素描基础", "美术", (140, 180), "2", 8, 0.5, 8, "general"),
    CourseSpec("python", "Python 编程", "编程", (190, 240), "2", 6, 0.4, 10, "general"),
    CourseSpec("brush", "软笔书法", "书法", (120, 150), "1.5", 8, 0.4, 7, "general"),
    CourseSpec("guzheng", "古筝（一对一）", "音乐", (180, 240), "1", 1, 0.4, 6, "piano"),
)

# The small demo offers exactly these; each large campus draws 8 to all of them.
SMALL_COURSE_KEYS: tuple[str, ...] = (
    "piano", "art", "english", "math", "scratch", "calligraphy", "dance", "go", "sketch",
)

# A package is a number of lessons; (lessons, weight, discount in per-mille, gifted lessons).
PACKAGES: tuple[tuple[int, int, int, tuple[int, ...]], ...] = (
    (16, 3, 1000, (0,)),
    (24, 3, 980, (0, 0, 1, 2)),
    (32, 4, 950, (0, 2, 2, 3)),
    (48, 2, 920, (2, 4, 4, 6)),
)

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

# --------------------------------------------------------------------------- people

BOY_NAMES: tuple[str, ...] = (
    "浩宇", "宇轩", "子墨", "沐宸", "俊熙", "奕辰", "明轩", "皓轩", "锦程", "睿泽", "梓睿",
    "一鸣", "天佑", "宇航", "博文", "家豪", "子轩", "俊宇", "瑞霖", "梓航", "承泽", "铭泽",
    "浩然", "泽宇", "思远", "景行", "知予", "嘉树", "煜祺", "辰逸", "启航", "书恒", "修远",
    "亦凡", "若愚", "睿", "航", "哲", "朗", "晨",
)

GIRL_NAMES: tuple[str, ...] = (
    "子涵", "梓萱", "一诺", "欣怡", "诗涵", "梓涵", "雨桐", "若汐", "依诺", "思彤", "语桐",
    "可馨", "芷若", "安琪", "嘉怡", "佳琪", "雅琪", "思琪", "晨曦", "语嫣", "乐瑶", "欣妍",
    "书瑶", "沐晴", "知夏", "清欢", "星辰", "念安", "芊芊", "朵朵", "悦", "萌", "琳", "瑶",
)

# (relation stored on the link, how staff address the person: "{child}妈妈")
RELATIONS = {
    "mother": ("母亲", "妈妈"),
    "father": ("父亲", "爸爸"),
    "grandma_p": ("奶奶", "奶奶"),
    "grandma_m": ("外婆", "外婆"),
    "grandpa_p": ("爷爷", "爷爷"),
    "grandpa_m": ("外公", "外公"),
}

# Which guardians a family has, with weights.
FAMILY_SHAPES: tuple[tuple[tuple[str, ...], int], ...] = (
    (("mother",), 40),
    (("mother", "father"), 36),
    (("father",), 8),
    (("mother", "grandma_m"), 6),
    (("mother", "father", "grandma_p"), 5),
    (("grandpa_p", "mother"), 3),
    (("grandma_p",), 2),
)

WECHAT_HANDLES: tuple[str, ...] = (
    "sunshine", "lily", "happy", "momo", "xiaoyu", "coco", "tiantian", "yoyo", "lucky",
    "mumu", "doudou", "cherry", "anan", "leo", "grace", "vivian", "tony", "kevin",
)

MOBILE_PREFIXES: tuple[str, ...] = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180",
    "181", "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)

SOURCES: tuple[tuple[str, int], ...] = (
    ("地推", 16),
    ("转介绍", 16),
    ("大众点评", 17),
    ("抖音", 21),
    ("老带新", 13),
    ("自然到访", 17),
)
REFERRAL_SOURCES = ("转介绍", "老带新")

SCHOOL_PLACES: tuple[str, ...] = (
    "江南", "闻涛", "长河", "浦沿", "西兴", "丹枫", "春晓", "文苑", "明珠", "育才", "星洲",
    "钱江", "崇文", "求是", "学军", "时代",
)

KINDERGARTEN_PATTERNS = (
    "{place}幼儿园", "{district}机关幼儿园", "{place}实验幼儿园", "金色摇篮幼儿园",
)
PRIMARY_PATTERNS = ("{district}实验小学", "{place}小学", "{district}第一小学", "{place}实验学校")
MIDDLE_PATTERNS = ("{district}实验中学", "{place}中学", "{district}第二中学", "{place}实验学校")
HIGH_PATTERNS = ("杭州{place}高级中学", "{district}高级中学")

# Grade by age on 1 September of the current school year.
GRADES: dict[int, str] = {
    3: "幼儿园小班", 4: "幼儿园中班", 5: "幼儿园大班", 6: "一年级", 7: "二年级", 8: "三年级",
    9: "四年级", 10: "五年级", 11: "六年级", 12: "初一", 13: "初二", 14: "初三", 15: "高一",
    16: "高二", 17: "高三",
}

STUDENT_NOTES: tuple[str, ...] = (
    "性格比较内向，需要多鼓励", "之前在别的机构学过半年", "对{course}特别感兴趣",
    "家长很重视，要求每节课反馈",
    "只能周末上课", "有一定基础，适合进阶班", "注意力容易分散，座位安排在前排", "和表哥一起报名",
)

PARENT_NOTES: tuple[str, ...] = (
    "只能周末接送", "工作日18点后方便联系", "微信联系优先，电话常不接", "在医院上班，排班不固定",
    "对价格比较敏感", "希望孩子参加考级", "家住附近小区，步行接送",
)

# --------------------------------------------------------------------------- messages

COMM_LEAD_FIRST: tuple[str, ...] = (
    "{source}新线索：{parent}咨询{course}，孩子{grade}，想了解上课时间和收费。",
    "{parent}在{source}上留言咨询{course}，已加微信发送课程介绍和课表。",
    "{parent}来电咨询{course}，孩子之前没有基础，询问试听安排。",
    "{source}来的线索，{parent}想给孩子找个周末的兴趣班，对{course}比较感兴趣。",
    "{parent}路过校区进来咨询，参观了教室，留了电话，对{course}有兴趣。",
)

COMM_INVITE: tuple[str, ...] = (
    "电话邀约试听，{parent}同意{weekday}带孩子来体验{course}。",
    "微信发送了试听课时间表，{parent}选了{weekday}的课。",
    "和{parent}确认试听时间，提醒提前十分钟到校区。",
    "邀约到校区参观并体验一节{course}，{parent}答应带孩子过来看看。",
)

COMM_NO_TRIAL: tuple[str, ...] = (
    "电话未接通，已发短信，稍后再联系。",
    "{parent}表示最近比较忙，下个月再考虑。",
    "{parent}对价格有顾虑，想再比较一下其他机构。",
    "{parent}说孩子学校作业多，暂时没时间上兴趣班。",
    "微信发送了优惠活动，{parent}回复先了解一下。",
    "{parent}说要和家里人商量，过几天回复。",
)

COMM_TRIAL_HELD: tuple[str, ...] = (
    "试听结束后与{parent}面谈，{teacher}反馈孩子{praise}，建议从基础班开始。",
    "试听后沟通：孩子很喜欢{course}，{parent}在考虑报名课时包。",
    "面谈介绍了课程体系和课时包价格，{parent}觉得合适，准备报名。",
    "试听反馈：孩子{praise}，{parent}担心时间安排，约好再沟通上课时间。",
)

COMM_TRIAL_NO_SHOW: tuple[str, ...] = (
    "{parent}临时有事没来试听，约好改天再来。",
    "孩子生病了，{parent}取消了这次试听，说好了再约。",
    "试听当天联系不上{parent}，孩子没来。",
)

COMM_TRIAL_CANCELLED: tuple[str, ...] = (
    "{parent}来电取消试听，说最近时间排不开。",
    "{parent}说孩子不太想学了，取消试听。",
)

COMM_AFTER_TRIAL_NO: tuple[str, ...] = (
    "回访试听感受，{parent}觉得离家有点远，暂不报名。",
    "{parent}选择了学校附近的机构，暂不考虑。",
    "{parent}表示价格超出预算，先不报了，有活动再联系。",
    "回访：孩子兴趣一般，{parent}决定先不报名。",
)

COMM_AFTER_TRIAL_PENDING: tuple[str, ...] = (
    "回访试听感受，{parent}说孩子挺喜欢，正在和家里商量报名。",
    "{parent}想等发工资后再报名，约好下周再联系。",
    "{parent}在比较课时包方案，发了{course}的报价单。",
)

COMM_SIGNED: tuple[str, ...] = (
    "{parent}报名{course}{hours}课时，已缴费，安排{weekday}上课。",
    "面谈签单：{course}{hours}课时，已加入班级群，发了上课须知。",
    "{parent}到校区办理报名，{course}{hours}课时，安排好了上课时间。",
)

COMM_RENEW_REMIND: tuple[str, ...] = (
    "{child}的{course}还剩{remaining}课时，提醒{parent}续费，{parent}说下周过来办理。",
    "和{parent}沟通续费，介绍了续费优惠，{parent}考虑一下。",
    "课时快用完了，微信提醒{parent}续费，顺便反馈了孩子近期进步。",
)

COMM_RENEWED: tuple[str, ...] = (
    "{parent}续费{course}{hours}课时。",
    "续费{hours}课时，{parent}对老师很满意，希望继续跟这个老师学。",
    "{parent}办理续费，{course}{hours}课时，下学期继续上。",
)

COMM_TEACHER: tuple[str, ...] = (
    "本周{course}课反馈：{child}{praise}，回家请{homework}。",
    "和{parent}沟通{child}的学习情况：{praise}，下阶段重点是{focus}。",
    "课后反馈：{child}今天{praise}，作业是{homework}。",
    "月度学习反馈：{child}{praise}，建议{homework}。",
)

COMM_LEAVE: tuple[str, ...] = (
    "{parent}请假：孩子{reason}，{weekday}的{course}课请假。",
    "{parent}微信请假，孩子{reason}，问能不能安排补课。",
)

COMM_PAUSE: tuple[str, ...] = (
    "{parent}说孩子{reason}，{course}先停课一段时间，课时保留。",
    "{parent}申请停课：{reason}，约好之后再恢复上课。",
)

COMM_CHURN: tuple[str, ...] = (
    "{parent}表示孩子{reason}，{course}暂不续费。",
    "回访：{parent}说孩子{reason}，课时用完后先不上了。",
)

COMM_REFUND: tuple[str, ...] = (
    "{parent}申请退费，原因：{reason}。剩余课时按单价退还。",
    "办理退费：{reason}，已和{parent}确认退费金额。",
)

COMM_CROSS_SELL: tuple[str, ...] = (
    "{parent}想给{child}再报一门{course}，先安排试听。",
    "{child}学得不错，{parent}咨询{course}，介绍了老学员扩科优惠。",
)

PRAISES: tuple[str, ...] = (
    "上课很专注", "进步很明显", "敢于表达自己的想法", "动手能力强", "节奏感不错",
    "反应很快", "比上周更主动了", "很有耐心", "完成得很认真",
)

HOMEWORK: tuple[str, ...] = (
    "每天坚持练习二十分钟", "把今天的内容复习一遍", "多听音频跟读", "注意坐姿和握笔姿势",
    "完成练习册两页", "周末带作品来展示",
)

FOCUS_POINTS: tuple[str, ...] = (
    "基本功", "细节处理", "独立完成", "课堂表达", "思维拓展", "规范书写",
)

LEAVE_REASONS: tuple[str, ...] = (
    "感冒发烧", "学校有活动", "全家外出旅游", "要参加考试", "参加比赛", "家里有事",
)

PAUSE_REASONS: tuple[str, ...] = (
    "学业紧张准备考试", "暑假回老家", "最近身体不好", "家里装修搬家", "报了学校的集训",
)

CHURN_REASONS: tuple[str, ...] = (
    "升学后作业太多", "兴趣转移到体育上", "搬家离校区太远", "想先专心学校功课", "觉得效果一般",
)

REFUND_REASONS: tuple[str, ...] = (
    "搬家到外地", "孩子身体原因无法继续上课", "学校课业负担重", "家庭原因",
)

TRIAL_FEEDBACK: tuple[str, ...] = (
    "孩子很积极，{praise}，建议报基础班。",
    "有一点基础，{praise}，可以直接进进阶班。",
    "开始有些拘谨，后半节放开了，{praise}。",
    "注意力集中时间偏短，但{praise}，建议小班上课。",
    "",
)

# Order notes that fit the season or the sign type: (months or () for any, sign types, note).
ORDER_NOTES: tuple[tuple[tuple[int, ...], tuple[str, ...], str], ...] = (
    ((6, 7, 8), (), "暑期班优惠"),
    ((8, 9), (), "开学季报名礼"),
    ((11,), (), "双十一活动价"),
    ((1, 2), (), "寒假班优惠"),
    ((), ("renewal",), "老学员续费九五折"),
    ((), ("renewal",), "续费送教材"),
    ((), ("referral",), "老带新赠课"),
    ((), ("cross_sell",), "扩科优惠"),
)

REFUND_NOTE = "退费：{reason}"
CARRIED_OVER_NOTE = "期初结转：系统启用前购买的剩余课时"

STAGE_NOTES: dict[str, tuple[str, ...]] = {
    "invitation": ("电话邀约试听", "微信邀约到校参观", "活动邀约", ""),
    "visit": ("家长带孩子到校参观", "到校咨询", ""),
    "trial": ("试听完成", "试听后面谈", ""),
    "sign": ("新签", "试听后签单", ""),
    "renewal": ("续费", "续费课时包", ""),
    "referral": ("老学员推荐", "家长转介绍", ""),
    "parent_contact": ("课后反馈", "月度学习反馈", "续费沟通", ""),
}

# --------------------------------------------------------------------------- growth records

PROGRESS_TOPICS: dict[str, tuple[str, ...]] = {
    "piano": (
        "《小汤普森简易钢琴教程》第{n}册",
        "《约翰·汤普森简易钢琴教程》第{n}册",
        "车尔尼599 第{m}条",
    ),
    "guzheng": ("古筝基础指法 第{m}课", "《古筝考级曲集》{n}级"),
    "art": ("色彩：冷暖色对比", "线描：动物的花纹", "水彩：海底世界", "手工：黏土造型",
            "创意画：我的梦想城市", "国画：荷花"),
    "sketch": ("素描：几何体结构", "素描：静物组合", "素描：明暗五调子", "速写：人物动态"),
    "english": ("剑桥少儿英语{n}级 Unit {m}", "自然拼读 Level {n} Lesson {m}"),
    "math": (
        "找规律", "图形的拼组", "鸡兔同笼", "数独入门", "巧算加减法", "植树问题", "统筹与优化",
    ),
    "scratch": ("Scratch：打地鼠游戏", "Scratch：迷宫探险", "Scratch：画笔绘制多边形",
                "Scratch：变量与计分", "Scratch：克隆与射击游戏"),
    "python": ("Python：循环结构", "Python：列表与字典", "Python：函数", "Python：turtle 绘图"),
    "calligraphy": (
        "笔画：横竖撇捺", "笔画：点与提", "偏旁部首练习", "结构：上下结构", "结构：左右结构",
    ),
    "brush": ("软笔：中锋行笔", "软笔：颜体基本笔画", "软笔：临摹《多宝塔碑》"),
    "dance": ("中国舞考级{n}级：基本功组合", "中国舞考级{n}级：{piece}"),
    "go": ("围棋：吃子技巧", "围棋：打劫", "围棋：死活题", "围棋：布局基础", "围棋：官子"),
}

DANCE_PIECES: tuple[str, ...] = ("小雨沙沙", "春晓", "花儿朵朵", "采蘑菇的小姑娘")

GROWTH_DETAILS: dict[str, tuple[str, ...]] = {
    "piano": ("左右手配合比上周顺畅", "识谱速度明显提高", "手型保持得很好", "节奏稳定了很多"),
    "guzheng": ("摇指更均匀了", "识谱速度提高", "手型保持得很好"),
    "art": ("配色大胆有想法", "构图完整", "线条更流畅了", "细节刻画认真"),
    "sketch": ("结构比例更准确", "明暗层次清楚", "排线更整齐了"),
    "english": ("单词认读准确，敢于开口", "句型运用熟练", "发音标准了很多", "听力反应快"),
    "math": ("解题思路清晰", "能讲出自己的方法", "计算又快又准", "会画图分析问题"),
    "scratch": ("能独立完成程序", "调试问题很有耐心", "想法很有创意"),
    "python": ("能独立写出循环程序", "调试问题很有耐心", "代码规范"),
    "calligraphy": ("笔画更有力度", "字的结构更匀称", "坐姿握笔规范"),
    "brush": ("中锋运笔稳定", "字的结构更匀称"),
    "dance": ("软开度有进步", "动作更舒展", "表现力强"),
    "go": ("计算更深入", "布局有想法", "下棋不急躁了"),
}

GROWTH_SUGGESTIONS: tuple[str, ...] = (
    "回家每天坚持练习二十分钟。", "下节课继续巩固。", "注意保持专注，不要着急。",
    "可以多做一些课后练习。", "继续保持！", "家长多鼓励，效果会更好。",
)
