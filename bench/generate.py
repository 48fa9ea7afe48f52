"""A realistic synthetic 舆情 stream for the benchmark and the labelled evaluation sets.

What a city 民族宗教事务局 actually sees in a day, in proportions that follow the demo roster of
channels (weibo 38 %, news comments 14 %, forum 12 %, wechat 9 %, news 8 %, 网络问政 7 %, hotline
6 %, portal 6 %), spread over days with a day/night rhythm (few posts at 03:00, most at 10:00 and
21:00):

- **stories** (events): an incident at a venue or in a district — a fight at 清风寺, overcharging
  at 慈云寺, a fire risk at 福音堂, illegal preaching in 青石镇, a fake monk collecting money, a
  rumour of demolition, an ethnic-unity festival, a policy explained … Each story has its own facts
  (venue, district, a number, a person) and is told in many words: first posts, comments, a forum
  thread, a local news report, a 网络问政 complaint, the office's reply. Stories grow in bursts over
  hours to days; about 15 % of items belong to one.
- **reposts**: 22 % of Weibo/WeChat items repost an earlier item (``转发微博：``, ``//@用户:`` chains
  with a comment, ``转自…：``, cut off with ``…全文``, punctuation changed), so duplicates are real.
- **singletons**: one-off complaints, questions, thanks and notices about the same venues and
  topics (they share vocabulary with stories — the hard part of clustering);
- **chatter**: unrelated posts (weather, food, football, ads, job offers) — about 40 %.

Every text is assembled from phrase banks with slots, so templates repeat the way real posts do
(the same office writes every notice alike), but facts differ. Deterministic for a seed.

``items(n)`` gives input records for ``yuqing analyze``; ``labelled(n)`` gives records with the truth
(``event`` = story id or a singleton id, ``original`` = the item a repost copies) for measuring
clustering and duplicates; ``repost_set()`` gives the near-duplicate set with hard negatives.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

PLACES = ["东湖区", "西山区", "南岸区", "北塘县", "青石镇", "白沙乡", "江城市"]
VENUES = ["清风寺", "慈云寺", "东关清真寺", "玉皇观", "福音堂", "城隍庙", "南山寺", "天主堂"]
STREETS = ["解放路", "人民路", "建设街", "和平巷", "滨江路", "新华路", "中山路", "文化街"]
SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何高林罗"
GIVEN = ["明", "强", "敏", "静", "伟", "芳", "军", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "斌"]
USERS = ["江城小马", "东湖老李", "路人甲", "爱吃辣的猫", "南岸居民", "青石镇人", "西山看客", "白沙阿姨", "北塘小哥",
         "江城生活圈", "城事观察", "吃瓜群众", "风中的树", "老城区居民"]
OUTLETS = {"news": ["江城晚报", "江城日报", "江城电视台", "澎湃新闻", "江城新闻网", "都市快报"],
           "wechat": ["江城发布", "江城生活", "东湖圈", "江城民宗"],
           "portal": ["江城市民族宗教事务局"]}
CHANNEL_SHARE = [("weibo", 38), ("news_comment", 14), ("forum", 12), ("wechat", 9), ("news", 8), ("wenzheng", 7),
                 ("hotline", 6), ("portal", 6)]
HOURLY_RHYTHM = [2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 8, 9, 9, 8, 8, 9, 10, 10, 9, 6, 4]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


# -- stories: kind → facts drawn once per story, and how each channel tells it ------------------
# {v} venue, {p} place, {s} street, {n} a number, {who} a person, {d} a day, {x} a detail
STORY_KINDS: dict[str, dict[str, Any]] = {
    "fight": {
        "x": ["商贩和香客", "停车收费员和游客", "两伙香客", "摊主和保安"],
        "weibo": ["{v}门口{x}打起来了，{n}个人受伤，好多人围观，有没有人管管？",
                  "刚路过{p}{v}，{x}吵得很凶还动手了，警察都来了",
                  "{v}这是怎么了？{x}当街冲突，视频里有人头都破了[怒]",
                  "实拍{p}{v}门前{x}发生冲突，现场一片混乱，{n}人被带走",
                  "{v}的{x}又打架了，这已经不是第一次了，民宗局管不管？"],
        "forum": ["【求证】{p}{v}门口今天是不是打架了？听说{x}起了冲突",
                  "{v}门前冲突事件说说我看到的：{x}因为摊位起争执，后来动手，{n}人受伤"],
        "news": ["{p}{v}门前发生冲突 {n}人受伤送医|{d}上午，{p}{v}门前{x}因琐事发生争执并引发肢体冲突，{n}人受伤送医，公安机关已介入调查。",
                 "{v}门前冲突追踪：涉事人员已被控制|记者从{p}公安分局获悉，{d}发生在{v}门前的{x}冲突事件中，涉事人员已被依法控制，伤者无生命危险。"],
        "news_comment": ["{v}门口天天这样，早该整治了", "打人的必须严惩！{v}周边秩序太乱了", "希望{p}好好管管{v}门口的摊贩"],
        "wenzheng": ["{p}{v}门前长期有{x}聚集，今天发生打架冲突，请相关部门加强管理。"],
        "portal": ["关于{v}门前冲突事件的情况通报|{d}，{p}{v}门前发生一起{x}之间的冲突，{n}人受伤。市民宗局会同公安、城管部门已到场处置，涉事人员已被依法控制。特此通报。"],
    },
    "fee": {
        "x": ["门票", "香火钱", "停车费", "高香"],
        "weibo": ["{v}的{x}要{n}元？这也太坑人了吧，宗教场所还能这么收费？",
                  "带老人去{v}烧香，被强买{x}花了{n}块，气死了",
                  "{p}{v}{x}乱收费谁来管？一次就收{n}元",
                  "曝光：{v}{x}{n}元一份，不买不让进"],
        "forum": ["{v}{x}收费{n}元合理吗？大家去过的说说", "吐槽一下{p}{v}的{x}，{n}元，明码标价都没有"],
        "news": ["{v}被指{x}收费{n}元 {p}市场监管部门介入|近日有市民反映{p}{v}{x}收费{n}元且未明码标价，{p}市场监管部门已介入调查。"],
        "news_comment": ["{x}{n}元，真敢要", "宗教场所收费应该公开透明", "去过{v}，确实贵"],
        "wenzheng": ["反映{p}{v}{x}收费{n}元且强制购买的问题，请民宗局调查处理。", "{v}{x}收费{n}元是否合规？请予答复。"],
        "hotline": ["来电人反映{v}{x}收费{n}元，强制游客购买，要求相关部门查处。"],
        "portal": ["关于{v}{x}收费问题的回复|网民反映{v}{x}收费{n}元问题收悉。经市民宗局会同市场监管部门核查，已责令{v}整改并公示收费标准。"],
    },
    "fire": {
        "x": ["消防通道被占", "电线私拉乱接", "香炉离木结构太近", "灭火器过期"],
        "weibo": ["{p}{v}{x}，这么多人进出太危险了，万一起火怎么办", "{v}刚才冒烟了！好像是{x}引起的，吓死人",
                  "拍到{v}{x}的情况，安全隐患太大了"],
        "forum": ["{v}{x}的问题反映了好几次了，没人管", "{p}{v}有安全隐患：{x}，大家去的时候注意"],
        "news": ["{p}{v}存在消防安全隐患 相关部门责令整改|记者走访发现，{p}{v}存在{x}等安全隐患。市民宗局表示已责令限期整改。"],
        "news_comment": ["人员密集场所必须重视消防", "{v}赶紧整改吧，出事就晚了"],
        "hotline": ["来电人反映{p}{v}{x}，存在火灾隐患，要求尽快排查。"],
        "portal": ["市民宗局对{v}开展消防安全检查|{d}，市民宗局会同消防救援部门对{v}开展消防安全检查，针对{x}问题下达整改通知，要求{n}日内整改到位。"],
    },
    "preach": {
        "x": ["出租屋", "小区地下室", "废弃厂房", "农家院"],
        "weibo": ["{p}{s}有人在{x}私设聚会点搞非法传教，每天晚上几十人", "举报：{p}{s}{x}有非法宗教活动，还拉老人入会",
                  "{p}{s}那个{x}天天有人聚会传教，是合法的吗？"],
        "forum": ["{p}{s}{x}的非法聚会点有人管吗？已经快一年了", "小区里有人非法传教，{p}{s}，说信了不用看病"],
        "wenzheng": ["{p}{s}{x}内有人私设聚会点非法传教，请民宗局依法查处。"],
        "hotline": ["来电人反映{p}{s}{x}有人组织非法宗教聚会，约{n}人参加，要求查处。"],
        "portal": ["{p}依法取缔一处非法宗教活动聚会点|{d}，市民宗局联合{p}公安分局对{s}一处{x}内的非法聚会点依法予以取缔，对组织者进行批评教育。"],
    },
    "noise": {
        "x": ["燃放鞭炮", "凌晨敲钟", "大喇叭诵经", "法会音响"],
        "weibo": ["{v}又在{x}，早上五点就被吵醒了，住附近的人还睡不睡？", "{p}{v}{x}扰民，投诉了{n}次都没用"],
        "forum": ["{v}{x}扰民的问题到底有没有人管", "住{v}旁边的来说说，{x}天天吵"],
        "wenzheng": ["{p}{v}长期{x}，严重扰民，请予处理。", "反映{v}{x}噪音扰民，影响附近居民休息，已持续{n}天。"],
        "hotline": ["来电人反映{p}{v}每天{x}，噪音扰民，已投诉{n}次未解决，情绪激动。"],
        "portal": ["关于{v}{x}扰民问题的答复|经核查，{v}{x}确有扰民情况，市民宗局已约谈{v}负责人，要求调整时间、降低音量。"],
    },
    "fake_monk": {
        "x": ["假和尚", "假道士", "冒充僧人的人", "自称活佛的人"],
        "weibo": ["{p}{s}又出现{x}化缘，塞个佛牌就要{n}元，大家别上当", "提醒家里老人：{x}在{p}一带骗钱，已经有人被骗{n}元"],
        "forum": ["{p}{s}有{x}骗香火钱，报警了", "{x}在{v}门口拦人化缘，一开口就要{n}"],
        "news": ["{x}街头化缘骗钱 {p}警方提醒市民提高警惕|近日，{p}{s}一带出现{x}以化缘为名骗取钱财，有市民被骗{n}元。"],
        "news_comment": ["这种{x}每个城市都有，别信", "真正的出家人不会这样要钱"],
        "hotline": ["来电人反映{p}{s}有{x}沿街化缘索要钱财，要求查处。"],
    },
    "rumour": {
        "x": ["要拆迁", "要关闭", "要收归个人承包", "要改建商场"],
        "weibo": ["网传{p}{v}{x}，是真的吗？", "紧急扩散！听说{v}{x}，大家快去看看", "内部消息：{v}{x}，已经定了"],
        "forum": ["{v}{x}的传言有人知道吗？", "听说{v}{x}，信众都很着急"],
        "wechat": ["关于{v}{x}的传言，真相来了|近日网传{v}{x}，经向市民宗局核实，该消息不实，{v}正常开放。"],
        "news_comment": ["造谣的应该追责", "还好是谣言"],
        "portal": ["关于网传“{v}{x}”的说明|近日有网民发布“{v}{x}”的信息，经核实，该信息不实。{v}各项宗教活动正常开展，请广大市民不信谣、不传谣。"],
    },
    "unity": {
        "x": ["民族团结进步月", "民族团结联欢会", "少数民族运动会", "石榴籽家园"],
        "weibo": ["{p}{x}活动太热闹了，各族群众载歌载舞，点赞！", "今天参加了{p}的{x}，很感动，民族一家亲❤"],
        "wechat": ["{p}举办{x}活动|{d}，{p}举办{x}活动，各族群众{n}余人参加，共叙民族团结情谊。"],
        "news": ["{p}{x}活动启幕 各族群众共襄盛举|{d}，{p}{x}活动在{s}广场启幕，{n}余名各族群众参加。"],
        "news_comment": ["民族团结一家亲", "这样的活动多搞搞，点赞"],
        "portal": ["{p}{x}活动顺利举办|为深入开展民族团结进步创建，{d}，{p}举办{x}活动，各族群众{n}余人参加。"],
    },
    "policy": {
        "x": ["宗教活动场所财务管理办法", "宗教教职人员备案办法", "宗教事务条例实施细则", "互联网宗教信息服务管理办法"],
        "portal": ["市民宗局解读《{x}》|近日，《{x}》正式施行。市民宗局有关负责同志就其主要内容答记者问，共{n}条。",
                   "关于公开征求《{x}》意见的公告|为规范管理，市民宗局起草了《{x}（征求意见稿）》，现向社会公开征求意见，截止时间为{d}。"],
        "wechat": ["一图读懂《{x}》|《{x}》共{n}条，明确了宗教活动场所的管理要求。"],
        "news": ["《{x}》{d}起施行|《{x}》将于{d}起施行，共{n}条，对宗教活动场所管理作出规定。"],
        "news_comment": ["新规出来了，支持依法管理", "这个办法什么时候施行？"],
        "weibo": ["《{x}》出来了，{n}条，宗教场所以后要规范了", "转需：《{x}》全文解读"],
    },
    "service": {
        "x": ["宗教活动场所登记", "教职人员备案", "民族成份变更", "临时活动地点审批"],
        "weibo": ["去市民宗局办{x}，跑了{n}趟还没办成，门难进脸难看事难办", "办个{x}要{n}个材料，来回推诿，太难了"],
        "wenzheng": ["我于{d}到市民宗局办理{x}，窗口工作人员推诿，要求补交材料{n}次，请领导过问。"],
        "hotline": ["来电人反映到市民宗局办理{x}被多次要求补材料，跑了{n}趟未办结，要求督办。"],
        "portal": ["关于网民反映{x}办理问题的回复|经核查，该网民所办{x}事项材料齐全后已于{d}办结，我局将进一步优化办事流程。"],
    },
    "praise": {
        "x": ["上门帮少数民族老人办证", "耐心解答政策咨询", "帮外地游客找回走失的孩子", "周末加班办结群众事项"],
        "weibo": ["给市民宗局点赞！工作人员{x}，服务太暖心了👍", "{p}民宗局的{who}同志{x}，为民办实事，感谢！"],
        "wenzheng": ["感谢市民宗局工作人员{x}，办事高效，非常满意。"],
        "hotline": ["来电人表扬市民宗局工作人员{who}{x}，服务热情。"],
        "news": ["民宗局干部{who}：{x}的贴心人|{p}民宗局干部{who}{x}，受到群众称赞。"],
        "wechat": ["暖心！{p}民宗局工作人员{x}|{d}，市民宗局工作人员{who}{x}，群众送来锦旗。"],
    },
}
SUBJECTS = ["{v}", "{p}{v}", "{v}附近", "{p}{s}", "{s}那边"]
OFFICE_MATTERS = [
    "办事大厅搬到哪里了", "网上预约系统打不开", "电话咨询一直占线", "办证需要带什么材料", "工作人员周末值班吗",
    "少数民族节日有什么活动", "窗口只开了一个，排队排到门口", "官网的办事指南还是去年的", "门口的指示牌写错了字",
    "自助机又坏了", "办事大厅的空调太冷了", "工作人员讲解得很清楚",
]
MATTERS = [
    "停车位根本找不到", "几点开门，要不要预约", "环境很清幽，推荐", "卖香的大妈态度太差", "外地游客特别多", "素斋好不好吃",
    "路灯坏了很久，晚上不安全", "有人占道摆摊卖香烛", "厕所太脏没人打扫", "公交站牌被挪走了", "银杏叶黄了很好看", "志愿者讲解很专业",
    "门口的台阶太陡，老人不好走", "垃圾桶满了没人清", "拍照被保安拦住", "手机掉了被好心人捡到",
    "能不能办婚礼", "有没有英文讲解", "轮椅能不能进", "能不能带宠物进去", "周边小吃店涨价了", "共享单车乱停",
    "晚上灯光秀很漂亮", "有人在门口发传单", "新修的步道不错", "早上锻炼的人很多", "树上的鸟窝掉下来了", "围墙上有涂鸦",
    "雨天地面很滑", "排队买票排了半小时", "导航总是导错路", "附近在修地铁，绕路很麻烦", "想捐点旧衣服，去哪里捐", "想做义工怎么报名",
    "古树挂牌了，保护得好", "门口的石狮子被刷了漆",
    "香炉边的烟太呛", "夜里狗叫得厉害", "有流浪猫，谁在喂", "寺里的猫好可爱", "古建筑修缮什么时候完工", "寄存柜不够用",
]
OPENERS_Q = ["", "", "请问", "有人知道", "说一下", "吐槽一下", "刚发现", "想问问", "提个建议：", "记录一下："]
CHATTER = [
    "今天江城的天气真好，出去走走", "晚上吃火锅还是烧烤？纠结", "这场球踢得太臭了，主队又输了", "招聘启事：{p}某公司招聘销售，待遇优厚",
    "周末带娃去动物园，人山人海", "新开的奶茶店排队一小时", "地铁{n}号线又延误了，上班迟到", "代开发票，联系电话见主页",
    "刚看完电影，结局有点意外", "小区楼下的桂花开了，好香", "有没有一起跑步的？{s}每天早上六点", "这个月的电费怎么这么贵",
    "考研倒计时{n}天，加油", "{p}新开了一家书店，环境不错", "刷单兼职日结，轻松月入过万", "今天加班到十点，累",
]
CHATTER_TAIL = ["", "", "心情不错", "有点累", "明天继续", "希望周末不下雨", "谁懂啊", "记录一下生活", "晚安", "早上好",
                "今天也要加油", "朋友推荐的", "第一次来", "下次还来", "拍了好多照片", "就是有点贵", "人太多了", "还可以",
                "下雨了", "冷死了", "热死了", "好久没这么开心了"]
OPENERS = ["", "", "", "说个事，", "请教一下，", "昨天", "上周末", "刚才", "带孩子", "陪我妈", "下班路上", "有没有人知道，", "吐槽：", "分享："]
CLOSERS = ["", "", "", "。", "！", "。谢谢", "，求解答", "，心累", "，挺好的", "。——{who}", "（{d}）", "，大家觉得呢", "，已经第{n}次了", "。#江城#"]
COMMENTS = ["太吓人了", "真的假的？", "转发扩散", "关注", "支持", "这也太过分了吧", "希望尽快处理", "已阅", "顶", "离谱",
            "大家注意安全", "坐等官方回应", "同城的注意一下", "[怒]", "唉"]


def _fill(template: str, facts: dict[str, str], rng: random.Random) -> tuple[str | None, str]:
    text = template.format(**facts)
    if "|" in text:
        title, body = text.split("|", 1)
        return title, body
    return None, text


def _story_facts(kind: str, rng: random.Random, start: datetime) -> dict[str, str]:
    day = start + timedelta(days=rng.randint(0, 3))
    return {
        "v": rng.choice(VENUES), "p": rng.choice(PLACES), "s": rng.choice(STREETS), "n": str(rng.choice([2, 3, 5, 8, 12, 20, 30, 50, 100, 200, 500])),
        "who": _name(rng), "d": f"{day.month}月{day.day}日", "x": rng.choice(STORY_KINDS[kind]["x"]),
    }


def _where(kind: str, facts: dict[str, str]) -> str:
    """What makes a story of this kind distinct: its venue, else its district, else the office."""
    templates = " ".join(t for c, ts in STORY_KINDS[kind].items() if c != "x" for t in ts)
    return facts["v"] if "{v}" in templates else facts["p"] if "{p}" in templates else ""


def repost(text: str, rng: random.Random) -> str:
    """A copy of ``text`` as Weibo/WeChat users make them."""
    r = rng.random()
    if r < 0.25:
        return "转发微博：" + text
    if r < 0.45:
        return f"{rng.choice(COMMENTS)}//@{rng.choice(USERS)}:" + text
    if r < 0.55:
        return f"{rng.choice(COMMENTS)}//@{rng.choice(USERS)}:{rng.choice(COMMENTS)}//@{rng.choice(USERS)}:" + text
    if r < 0.65:
        return f"转自{rng.choice(['江城论坛', '江城生活圈', '微信群', '朋友圈'])}：" + text
    if r < 0.8 and len(text) > 30:
        return text[: rng.randint(max(24, len(text) // 2), len(text) - 3)] + rng.choice(["…全文", "...展开全文", "…"])
    if r < 0.9:
        return text.replace("，", " ").replace("。", "！").replace("？", "??")
    return text + " " + rng.choice(COMMENTS)


def _pick_channel(rng: random.Random) -> str:
    r = rng.uniform(0, 100)
    for channel, share in CHANNEL_SHARE:
        r -= share
        if r <= 0:
            return channel
    return "weibo"


def _time(rng: random.Random, start: datetime, days: float) -> datetime:
    while True:
        t = start + timedelta(seconds=rng.uniform(0, days * 86400))
        if rng.random() * 10 < HOURLY_RHYTHM[(t.hour + 8) % 24]:
            return t


def _source(channel: str, rng: random.Random) -> tuple[str, str | None]:
    outlets = OUTLETS.get(channel)
    if outlets:
        name = rng.choice(outlets)
        return name, name
    return f"{channel}_{rng.randint(1, 5)}", rng.choice(USERS) if channel in ("weibo", "forum", "news_comment") else None


def labelled(n: int, seed: int = 7, start: datetime | None = None, days: float | None = None) -> Iterator[dict[str, Any]]:
    """n records in the ``yuqing analyze`` input format, each with its truth: ``event`` and ``original``.

    ``event``: the story id (``S12``); for a one-off post ``U:<place>:<matter>`` (the same complaint
    about the same place is one matter to the office — mostly singletons), and ``U<n>`` for chatter;
    a repost has its original's. ``original``: the id of the item a repost copies, else None.
    Records come in time order.
    """
    rng = random.Random(seed)
    start = start or datetime(2026, 11, 16, tzinfo=UTC)
    days = days if days is not None else max(1.0, n / 10_000)
    kinds = list(STORY_KINDS)
    stories: list[dict[str, Any]] = []
    n_stories = max(3, n // 70)
    taken: set[tuple[str, str]] = set()
    for s in range(n_stories):
        for _attempt in range(30):  # two stories of one kind at one place would be one matter: avoid them
            kind = rng.choice(kinds)
            t0 = _time(rng, start, days)
            facts = _story_facts(kind, rng, t0)
            where = _where(kind, facts)
            if (kind, where) not in taken and (kind, "x:" + facts["x"]) not in taken:
                break
        taken.update([(kind, where), (kind, "x:" + facts["x"])])
        stories.append({"id": f"S{s}", "kind": kind, "facts": facts, "t0": t0,
                        "span": rng.choice([3, 6, 12, 24, 48]) * 3600})
    plan: list[tuple[datetime, str, Any]] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.15:
            st = rng.choice(stories)
            # bursty: most items early in the story's span
            plan.append((st["t0"] + timedelta(seconds=st["span"] * rng.random() ** 2), "story", st))
        elif r < 0.45:
            plan.append((_time(rng, start, days), "single", None))
        elif r < 0.78:
            plan.append((_time(rng, start, days), "chatter", None))
        else:
            plan.append((_time(rng, start, days), "repost", None))
    plan.sort(key=lambda p: p[0])
    recent: list[dict[str, Any]] = []
    for i, (at, what, story) in enumerate(plan):
        rid = f"b{i}"
        title: str | None = None
        original = None
        if what == "repost" and recent:
            src = rng.choice(recent[-200:])
            channel = rng.choice(["weibo", "weibo", "weibo", "wechat", "forum"])
            text = repost(src["text"], rng)
            event = src["event"]
            original = src["original"] or src["id"]
        else:
            if what == "repost":
                what = "chatter"
            if what == "story":
                spec = STORY_KINDS[story["kind"]]
                channel = rng.choice([c for c in spec if c != "x"])
                title, text = _fill(rng.choice(spec[channel]), story["facts"], rng)
                event = story["id"]
            elif what == "single":
                facts = _story_facts("fight", rng, at)
                channel = rng.choice(["weibo", "weibo", "forum", "wenzheng", "hotline", "news_comment", "wechat"])
                if rng.random() < 0.2:
                    subject, matter = "市民宗局", rng.choice(OFFICE_MATTERS)
                else:
                    subject, matter = rng.choice(SUBJECTS).format(**facts), rng.choice(MATTERS)
                text = rng.choice(OPENERS_Q) + subject + matter
                if channel == "hotline":
                    text = "来电人反映" + text
                text += rng.choice(CLOSERS).format(**facts)
                # the same complaint about the same place is one matter to the office, whoever posts it
                event = f"U:{subject.replace('附近', '').replace('那边', '')}:{matter}"
            else:
                channel = _pick_channel(rng)
                tail = rng.choice(CHATTER_TAIL)
                text = rng.choice(OPENERS) + rng.choice(CHATTER).format(
                    p=rng.choice(PLACES), n=rng.randint(1, 300), s=rng.choice(STREETS)
                ) + ("，" + tail if tail else "") + rng.choice(CLOSERS).format(
                    who=_name(rng), d=f"{at.month}月{at.day}日", n=rng.randint(2, 9)
                )
                event = f"U{i}"
            if rng.random() < 0.5 and channel in ("weibo", "forum", "news_comment", "wechat"):
                text += rng.choice(["！", "。。。", "[允悲]", "😡", "👍", " #江城#", "？", "[怒]", "[doge]", "🙏", "…", "!!"])
        source, author = _source(channel, rng)
        rec = {
            "id": rid, "title": title, "text": text, "source": source, "source_type": channel, "author": author,
            "url": f"http://127.0.0.1/bench/{i}", "published_at": at.isoformat(),
            "engagement": {"comments": int(rng.paretovariate(1.5) * 3) - 3, "reposts": int(rng.paretovariate(1.3) * 2) - 2,
                           "likes": int(rng.paretovariate(1.2) * 5) - 5, "views": int(rng.paretovariate(1.1) * 200)},
            "event": event, "original": original,
        }
        if what != "repost":
            recent.append(rec)
            if len(recent) > 400:
                del recent[:200]
        yield rec


def items(n: int, seed: int = 7, start: datetime | None = None) -> Iterator[dict[str, Any]]:
    """n records in the ``yuqing analyze`` input format (the truth fields removed)."""
    for rec in labelled(n, seed, start):
        rec = dict(rec)
        del rec["event"], rec["original"]
        yield rec


# -- the near-duplicate set ----------------------------------------------------------------------
EDITS = [("今天", "今日"), ("了", "啦"), ("的", "得"), ("吗", "嘛"), ("在", "再"), ("很", "挺"), ("都", "全"), ("已", "以"),
         ("，", "、"), ("大家", "大伙")]
"""Copy edits as people make them: a typo, a near-synonym character, a changed punctuation mark."""


def repost_set(originals: int = 400, seed: int = 11) -> list[dict[str, Any]]:
    """Originals, their copies (prefixes, chains, truncation, punctuation, edits, comments) and hard negatives.

    Each row: ``id``, ``text``, ``group`` (the original's id: copies share it) and ``kind``
    (``original`` | ``copy:<how>`` | ``negative:<what differs>``). A hard negative is its own group:
    the same template with other facts (another venue, number, person or day).
    """
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    base = datetime(2026, 11, 20, tzinfo=UTC)
    kinds = list(STORY_KINDS)
    seen: list[str] = []
    k = 0
    while k < originals:
        kind = rng.choice(kinds)
        spec = STORY_KINDS[kind]
        channel = rng.choice([c for c in spec if c not in ("x", "news_comment")])
        template = rng.choice(spec[channel])
        facts = _story_facts(kind, rng, base)
        title, text = _fill(template, facts, rng)
        if any(text in t or t in text for t in seen):
            continue  # two originals must say different things
        seen.append(text)
        oid = f"o{k}"
        k += 1
        rows.append({"id": oid, "text": text, "group": oid, "kind": "original"})
        for c in range(rng.randint(1, 3)):
            how = rng.choice(["prefix", "chain", "source", "truncate", "punct", "comment", "edit", "space"])
            if how == "prefix":
                copy = rng.choice(["转发微博：", "转发：", "【转】", "转发微博 "]) + text
            elif how == "chain":
                copy = f"{rng.choice(COMMENTS)}//@{rng.choice(USERS)}:{rng.choice(COMMENTS)}//@{rng.choice(USERS)}:{text}"
            elif how == "source":
                copy = f"转自{rng.choice(['江城论坛', '微信群', '江城生活圈'])}：{text}"
            elif how == "truncate":
                copy = text[: max(20, int(len(text) * rng.uniform(0.55, 0.9)))] + rng.choice(["…全文", "...展开全文", "…", ""])
            elif how == "punct":
                copy = text.replace("，", ",").replace("。", " ").replace("！", "!!").replace("？", "?")
            elif how == "comment":
                copy = text + rng.choice(["。真是离谱", " 大家注意", "！！！求扩散", " [怒][怒]"])
            elif how == "edit":
                a, b = rng.choice([e for e in EDITS if e[0] in text] or [("", "")])
                copy = text.replace(a, b, 1) if a else text + "。"
            else:
                copy = " ".join(text[i : i + 7] for i in range(0, len(text), 7))
            rows.append({"id": f"{oid}c{c}", "text": copy, "group": oid, "kind": "copy:" + how})
        if rng.random() < 0.6:  # a hard negative: the same template, other facts
            other = dict(facts)
            what = rng.choice(["v", "n", "who", "d", "p"])
            if "{" + what + "}" not in template and what != "v":
                what = "v" if "{v}" in template else "n" if "{n}" in template else "p"
            pool = {"v": VENUES, "p": PLACES, "n": ["4", "6", "7", "9", "15", "40", "60", "150", "300"],
                    "who": [_name(rng) for _ in range(5)], "d": ["11月3日", "12月9日", "10月18日"]}[what]
            other[what] = rng.choice([x for x in pool if x != facts[what]])
            _t, neg = _fill(template, other, rng)
            if not any(neg in t or t in neg for t in seen):
                seen.append(neg)
                rows.append({"id": f"{oid}n", "text": neg, "group": f"{oid}n", "kind": "negative:" + what})
    rng.shuffle(rows)
    # originals first in stream order is not guaranteed in life either, but an original must precede its copies
    order = {r["id"]: i for i, r in enumerate(rows)}
    for r in rows:
        if r["kind"] != "original":
            continue
        first = min(order[x["id"]] for x in rows if x["group"] == r["group"])
        if order[r["id"]] > first:
            order[r["id"]] = first - 0.5
    rows.sort(key=lambda r: order[r["id"]])
    for i, r in enumerate(rows):
        r["published_at"] = (base + timedelta(minutes=i)).isoformat()
    return rows


def write_eval_sets(folder: str) -> None:
    """Write the labelled sets the tests and the benchmark measure against (deterministic)."""
    import json
    from pathlib import Path

    out = Path(folder)
    with open(out / "events_eval.jsonl", "w", encoding="utf-8") as fh:
        for rec in labelled(2500, seed=11):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with open(out / "reposts_eval.jsonl", "w", encoding="utf-8") as fh:
        for row in repost_set(400, seed=11):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write the labelled evaluation sets (events, reposts).")
    ap.add_argument("folder", nargs="?", default="tests/data/analysis")
    write_eval_sets(ap.parse_args().folder)
