"""What an answer is: its outcome, the quoted sentences, the cited passages.

Three outcomes, each shown differently:

* ``answered``: 1–3 sentences copied verbatim from the documents, each with the
  marker ``[n]`` of the passage card it comes from;
* ``passages``: no confirmed answer; the passages that fit best are shown as such, led
  by the sentence the span judge picked (``closest``), labelled as the closest passage;
* ``not_covered``: the documents do not answer the question, said plainly.

``Answer.to_json`` and ``Answer.from_json`` are the two halves of the JSON form that the
command line prints and the app keeps for exports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from index.search import Hit

ANSWERED = "answered"
PASSAGES = "passages"
NOT_COVERED = "not_covered"
OUTCOMES = (ANSWERED, PASSAGES, NOT_COVERED)
# What passages may fail to name that the question asked for (answer.decide.lacks), and
# how the app and the command line say so (German, English).
LACKS_NOTE = {
    "names": (
        "Die gefundenen Stellen sagen nur, dass es einige gibt, und nennen keine.",
        "The passages found only say that some exist, and name none.",
    ),
    "new": (
        "Über die vorige Antwort hinaus sagen die Dokumente dazu nichts; die passendsten Stellen:",
        "The documents say nothing about this beyond the previous answer; the closest passages:",
    ),
}
LACKS = tuple(LACKS_NOTE)


@dataclass
class AnswerSentence:
    text: str  # verbatim from the document
    marker: int  # number of the cited passage, 1-based
    passage_id: str
    page: str  # printed page where the sentence starts
    page_end: str  # and where it ends (a sentence may run across a page break)
    section: str
    start: int = -1  # offsets into the cited passage's text, -1 when outside it
    end: int = -1

    @property
    def pages(self) -> str:
        """``S. 8`` or ``S. 10–11``."""
        return f"S. {self.page}" if self.page_end in ("", self.page) else f"S. {self.page}–{self.page_end}"


@dataclass
class CitedPassage:
    marker: int
    hit: Hit
    citation: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "citation": self.citation,
            "highlights": [list(h) for h in self.highlights],
            **self.hit.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CitedPassage:
        hit_fields = set(Hit.__dataclass_fields__)
        hit = Hit(**{k: v for k, v in data.items() if k in hit_fields})
        return cls(
            int(data["marker"]), hit, str(data["citation"]), [(int(a), int(b)) for a, b in data.get("highlights", [])]
        )


@dataclass
class Answer:
    question: str
    status: str  # one of OUTCOMES
    query: str = ""  # what was searched: the question, or it with the previous one
    followup: bool = False  # searched together with the previous question
    sentences: list[AnswerSentence] = field(default_factory=list)
    passages: list[CitedPassage] = field(default_factory=list)  # cited, or the closest ones
    confidence: float = 0.0  # the decision model's probability that the answer is right
    mode: str = "extractive"  # or "llm"
    generated_text: str = ""  # the language model's answer, when mode == "llm"
    llm_model: str = ""  # the language model that wrote generated_text
    llm_error: str = ""  # why a configured language model was not used
    llm_removed: list[str] = field(default_factory=list)  # markers it invented
    llm_unquoted: bool = False  # it presented text as a quote that is in no passage
    llm_dropped: int = 0  # its sentences that the cited passages do not back, removed
    lacks: str = ""  # with passages: what they do not name that was asked ("names", "new")
    named: list[str] = field(default_factory=list)  # the documents the question names, searched alone
    # With passages: the span judge's pick, as highlighted in its card (marker), quoted
    # verbatim under a label that says it is the closest passage, not a confirmed answer.
    closest: list[AnswerSentence] = field(default_factory=list)
    closest_citation: str = ""  # its citation, with the pages of those sentences
    # With not_covered: where to look instead – the question's content words for a search,
    # and the chapters of the passages found nearest (doc_id, idx, title, page, pdf_page, file).
    search_words: str = ""
    chapters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def closest_text(self) -> str:
        """The closest passage's highlighted sentences as one line with its card's marker,
        e.g. ``Daher ist … gefördert werden. [1]``; empty unless passages with a pick."""
        if not self.closest:
            return ""
        return " ".join(" ".join(s.text.split()) for s in self.closest) + f" [{self.closest[0].marker}]"

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED

    @property
    def text(self) -> str:
        """The answer as shown, e.g. ``Niemand soll … werden. [1]``; empty unless answered."""
        if not self.answered:
            return ""
        if self.mode == "llm":
            return self.generated_text
        return " ".join(f"{' '.join(s.text.split())} [{s.marker}]" for s in self.sentences)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "answer": self.text,
            "query": self.query,
            "followup": self.followup,
            "confidence": round(self.confidence, 4),
            "mode": self.mode,
            "llm_model": self.llm_model,
            "llm_error": self.llm_error,
            "llm_removed": self.llm_removed,
            "llm_unquoted": self.llm_unquoted,
            "llm_dropped": self.llm_dropped,
            "lacks": self.lacks,
            "named": self.named,
            "closest": [asdict(s) for s in self.closest],
            "closest_citation": self.closest_citation,
            "search_words": self.search_words,
            "chapters": self.chapters,
            "sentences": [asdict(s) for s in self.sentences],
            "hits": [p.to_json() for p in self.passages],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        status = data["status"]
        if status not in OUTCOMES:
            raise ValueError(f"status={status!r} is not one of {list(OUTCOMES)}")
        missing = data.get("lacks", "")
        if missing not in ("", *LACKS):
            raise ValueError(f"lacks={missing!r} is not one of {['', *LACKS]}")
        answer = cls(
            question=data["question"],
            status=status,
            query=data.get("query", ""),
            followup=bool(data.get("followup")),
            sentences=[AnswerSentence(**s) for s in data.get("sentences", [])],
            passages=[CitedPassage.from_json(p) for p in data.get("hits", [])],
            confidence=float(data.get("confidence", 0.0)),
            mode=data.get("mode", "extractive"),
            llm_model=data.get("llm_model", ""),
            llm_error=data.get("llm_error", ""),
            llm_removed=list(data.get("llm_removed", [])),
            llm_unquoted=bool(data.get("llm_unquoted")),
            llm_dropped=int(data.get("llm_dropped", 0)),
            lacks=missing,
            named=[str(n) for n in data.get("named", [])],
            closest=[AnswerSentence(**s) for s in data.get("closest", [])],
            closest_citation=str(data.get("closest_citation", "")),
            search_words=str(data.get("search_words", "")),
            chapters=[dict(c) for c in data.get("chapters", [])],
        )
        if answer.mode == "llm":
            answer.generated_text = data.get("answer", "")
        return answer
