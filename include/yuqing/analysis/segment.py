"""Word segmentation with rjieba (a Rust port of jieba: same output, ~20× faster).

Why a user dictionary: jieba cuts ``东关清真寺`` into ``东关/清真寺`` and ``市民宗局`` into
``市民/宗局``; event signatures and sentiment need them whole. rjieba's ``Jieba.add_word`` takes
user words (checked: ``add_word(w, None, None)`` makes ``市民宗局`` one token), so no
Aho-Corasick fallback is needed. Each configuration gets its own ``Jieba`` instance, so two
configurations in one process never share user words.
"""

from __future__ import annotations

from collections.abc import Iterable

STOPWORDS: frozenset[str] = frozenset(
    """的 了 是 在 和 与 及 或 也 都 就 还 又 而 并 把 被 让 给 对 从 向 到 于 以 为 之 其 这 那 这个 那个 这些 那些
    这里 那里 这样 那样 什么 怎么 怎么样 为什么 哪里 一个 一些 有些 有 没 不 很 太 非常 特别 我 你 他 她 它 我们 你们
    他们 大家 自己 人家 今天 昨天 明天 现在 目前 已经 正在 还是 但是 可是 却 因为 所以 如果 虽然 然后 而且 以及 关于
    通过 进行 开展 相关 有关 工作 情况 问题 表示 记者 报道 网友 发布 消息 一下 一直 可以 能 会 要 想 说 看 去 来 上
    下 中 里 后 前 时 时候 吗 呢 吧 啊 呀 哦 嘛 啦 了吗 么 个 位 名 次 年 月 日 号 点 分 多 少 更 最 等 等等 各 每 该
    本 此 某 全 市 区 县 镇 乡 村 省 转发 微博 转发微博 视频 图片 链接 网页 全文 原文 来源 评论 回复
    知道 觉得 有人 请问 请教 提个 建议 记录 发现 来电人 来电 想问问 问问 解答 求解答 谢谢 感觉 听说 据说 说说
    真的 还有 其实 可能 应该 需要 不是 没有 就是 这么 那么 怎样 一样 一点 有点 东西 事情 时间 地方""".split()
)


def _is_keyword(tok: str) -> bool:
    return len(tok) >= 2 and tok not in STOPWORDS and not tok.isdigit() and any(ch.isalnum() for ch in tok)


class Segmenter:
    """Cuts normalised text into words, keeping the configured domain words whole."""

    def __init__(self, user_words: Iterable[str]):
        import rjieba  # imported here: only analysis needs it

        self._jieba = rjieba.Jieba()
        self._is_keyword: dict[str, bool] = {}
        for word in sorted({w.strip() for w in user_words if w and w.strip()}):
            self._jieba.add_word(word, None, None)

    def cut(self, text: str) -> list[str]:
        """All tokens, punctuation included (sentiment needs clause boundaries)."""
        return self._jieba.cut(text, True)

    def keywords(self, tokens: Iterable[str]) -> list[str]:
        """Content words for event signatures: two or more characters, not a stop word or number."""
        known = self._is_keyword
        out: list[str] = []
        for tok in tokens:
            ok = known.get(tok)
            if ok is None:
                ok = _is_keyword(tok.strip())
                if len(known) < 500_000:
                    known[tok] = ok
            if ok:
                out.append(tok.strip())
        return out
