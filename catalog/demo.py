"""Demo catalogue: realistic, deterministic records of every type, loaded through the real loader.

`generate_records(n, seed=...)` yields ResourceRecord-shaped dicts (streamed in blocks of 100, so it also feeds the
loader benchmark at 100k). Each block holds courses with runs, prices, instructors and topics; programs of those
courses; learning paths; podcasts with their episodes; playlists with their videos; articles and documents.
`load_catalog(log)` loads a few hundred of them as the "demo" source; a second run finds them all unchanged.
"""

import datetime as dt
import importlib
import random
from collections.abc import Iterator

from django.utils import timezone

DEMO_SOURCE = "demo"
DEMO_SIZE = 300
DEMO_SEED = 2026

_seeds = importlib.import_module("catalog.migrations.0002_seed_lookups")
TOPIC_PATHS = [f"{parent} > {child}" for parent, children in _seeds.TOPICS.items() for child in children]
DEPARTMENTS = [(code, name) for code, name, _ in _seeds.DEPARTMENTS if code[0].isdigit()]

# (offeror code, name, platform code, platform name, paid?, certificate type)
PROVIDERS = [
    ("mitx", "MITx", "mitxonline", "MITx Online", False, "completion"),
    ("mitx", "MITx", "edx", "edX", False, "completion"),
    ("ocw", "MIT OpenCourseWare", "ocw", "OCW", False, "none"),
    ("xpro", "MIT xPRO", "xpro", "MIT xPRO", True, "professional"),
    ("mitpe", "MIT Professional Education", "mitpe", "MIT Professional Education", True, "professional"),
    ("see", "MIT Sloan Executive Education", "see", "MIT Sloan Executive Education", True, "professional"),
    ("csail", "MIT CSAIL", "emeritus", "Emeritus", True, "professional"),
    ("oll", "Open Learning Library", "oll", "Open Learning Library", False, "none"),
]
_FIRST_NAMES = (
    "Ana Eric John Sarah Daniela Wei Priya Kwame Elena Tomás Aisha Hiroshi Maria David Leila Omar Grace Ravi "
    "Fatima Lucas Mei Jonas Nadia Samuel Ingrid Carlos Yuki Amara Pedro Sofia"
)
FIRST_NAMES = _FIRST_NAMES.split()
_LAST_NAMES = (
    "Bell Grimson Guttag Rus Strang Lander Lo Nakamura Okafor Müller Haddad Rodríguez Chen Kapoor Mensah Ivanova "
    "Sato Fischer Dubois Rossi Novak Silva Kim Larsen Petrov Adeyemi Costa Ahmed Berg Moreau"
)
LAST_NAMES = _LAST_NAMES.split()
COURSE_PATTERNS = [
    "Introduction to {s}",
    "{s} for Engineers",
    "Advanced {s}",
    "Foundations of {s}",
    "{s}: Principles and Practice",
    "Applied {s}",
    "{s} in the Real World",
    "Topics in {s}",
    "Computational {s}",
    "{s} Leadership Lab",
]
PROGRAM_PATTERNS = ["{s} MicroMasters", "Professional Certificate in {s}", "{s} XSeries", "{s} Essentials Program"]
PODCAST_NAMES = [
    "Curiosity Unbounded",
    "Chalk Radio",
    "The Open Lab",
    "Ideas Made to Matter",
    "Science Out Loud",
    "Engineering the Future",
]
LEVELS = ["introductory", "intermediate", "advanced", "undergraduate", "graduate"]
LICENSE = "CC BY-NC-SA 4.0"

# How a block of 100 records is made up, by type (in generation order: children before parents).
BLOCK_LAYOUT = [
    ("course", 38),
    ("video", 18),
    ("podcast_episode", 12),
    ("article", 9),
    ("document", 8),
    ("program", 5),
    ("learning_path", 3),
    ("podcast", 3),
    ("video_playlist", 4),
]
BLOCK = sum(count for _, count in BLOCK_LAYOUT)


def _layout(size: int) -> list[tuple[str, int]]:
    """The block layout scaled to `size` records, every type present when there is room for it."""
    if size >= BLOCK:
        return BLOCK_LAYOUT
    counts = [(kind, max(1, count * size // BLOCK)) for kind, count in BLOCK_LAYOUT]
    while sum(count for _, count in counts) > size:  # trim the largest types first
        index = max(range(len(counts)), key=lambda i: counts[i][1])
        counts[index] = (counts[index][0], counts[index][1] - 1)
    counts[0] = (counts[0][0], counts[0][1] + size - sum(count for _, count in counts))
    return [(kind, count) for kind, count in counts if count > 0]


def _anchor() -> dt.datetime:
    """Run dates are relative to the first of the current month: stable within a month, always current."""
    now = timezone.now()
    return dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)


class _Generator:
    def __init__(self, seed: int, anchor: dt.datetime):
        self.rng = random.Random(seed)
        self.anchor = anchor

    def person(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def topics(self, k: int | None = None) -> list[str]:
        return self.rng.sample(TOPIC_PATHS, k or self.rng.randint(1, 3))

    def subject(self, topics: list[str]) -> str:
        return topics[0].split(" > ")[1]

    def when(self, low: int, high: int) -> dt.datetime:
        return self.anchor + dt.timedelta(days=self.rng.randint(low, high))

    def paragraphs(self, subject: str, kind: str) -> str:
        sentences = [
            f"This {kind} explores {subject.lower()} through worked examples, projects and discussion.",
            f"You will learn the core ideas of {subject.lower()} and how practitioners apply them.",
            "Each week combines short videos, readings and hands-on exercises.",
            "No prior experience is required beyond curiosity and some time each week.",
            f"Taught by MIT faculty with decades of experience in {subject.lower()}.",
        ]
        self.rng.shuffle(sentences)
        return f"<p>{' '.join(sentences[:3])}</p><p>{sentences[3]}</p>"

    def prices(self, paid: bool) -> list[dict]:
        if paid:
            return [{"amount": f"{self.rng.choice([1200, 2500, 2950, 3600, 4500, 7900])}.00", "currency": "USD"}]
        if self.rng.random() < 0.6:
            return [
                {"amount": "0.00", "currency": "USD", "label": "Audit"},
                {"amount": f"{self.rng.choice([49, 75, 99, 150, 300])}.00", "currency": "USD", "label": "Verified"},
            ]
        return []

    def runs(self, source_id: str, paid: bool, instructors: list[str]) -> list[dict]:
        runs = []
        for number in range(self.rng.randint(1, 3)):
            start = self.when(-300 + number * 150, -60 + number * 200)
            semester = "Spring" if start.month <= 5 else ("Summer" if start.month <= 8 else "Fall")
            runs.append(
                {
                    "run_id": f"{source_id}+{start.year}_{semester}",
                    "title": f"{semester} {start.year}",
                    "start_date": start.isoformat(),
                    "end_date": (start + dt.timedelta(weeks=self.rng.choice([6, 8, 10, 12]))).isoformat(),
                    "enrollment_start": (start - dt.timedelta(days=45)).isoformat(),
                    "enrollment_end": (start + dt.timedelta(days=14)).isoformat(),
                    "semester": semester,
                    "year": start.year,
                    "pace": "instructor_paced" if paid else self.rng.choice(["self_paced", "instructor_paced"]),
                    "delivery": self.rng.choice(["online", "online", "in_person", "hybrid"]) if paid else "online",
                    "location": self.rng.choice(["Cambridge, MA", "Online", "Online"]) if paid else "",
                    "prices": self.prices(paid),
                    "instructors": instructors,
                    "enrollment_url": f"https://learn.example.edu/enroll/{source_id}/{number}",
                    "published": True,
                }
            )
        # Two runs may fall in the same term; keep run ids unique.
        return list({run["run_id"]: run for run in runs}.values())

    def course(self, index: int) -> dict:
        rng = self.rng
        topics = self.topics()
        subject = self.subject(topics)
        offeror, offeror_name, platform, platform_name, paid, certificate = rng.choice(PROVIDERS)
        department = rng.choice(DEPARTMENTS)
        source_id = f"course-{index:06d}"
        instructors = [self.person() for _ in range(rng.randint(1, 3))]
        runs = [] if offeror == "ocw" and rng.random() < 0.5 else self.runs(source_id, paid, instructors)
        weekly = rng.choice([(2, 4), (4, 6), (6, 8), (8, 10)])
        return {
            "resource_type": "course",
            "source_id": source_id,
            "title": rng.choice(COURSE_PATTERNS).format(s=subject),
            "description": self.paragraphs(subject, "course"),
            "full_description": self.paragraphs(subject, "course") + self.paragraphs(subject, "course"),
            "url": f"https://learn.example.edu/courses/{source_id}",
            "languages": ["en"] if rng.random() < 0.9 else ["en", "es"],
            "course_numbers": [f"{department[0]}.{rng.randint(100, 999)}{'x' if offeror == 'mitx' else ''}"],
            "keywords": [subject.lower(), topics[0].split(" > ")[0].lower()],
            "topics": topics,
            "departments": [{"code": department[0], "name": department[1]}],
            "offered_by": {"code": offeror, "name": offeror_name},
            "platform": {"code": platform, "name": platform_name},
            "instructors": instructors,
            "certification": certificate != "none",
            "certification_type": certificate,
            "prices": [],
            "delivery": "online",
            "format": rng.choice(["asynchronous", "synchronous"]) if paid else "asynchronous",
            "pace": "instructor_paced" if paid else rng.choice(["self_paced", "instructor_paced"]),
            "level": rng.choice(LEVELS),
            "availability": "anytime" if not runs else rng.choice(["current", "upcoming", "archived"]),
            "duration": f"{rng.choice([4, 6, 8, 10, 12, 14])} weeks",
            "time_commitment": f"{weekly[0]}–{weekly[1]} hours/week",
            "min_weekly_hours": weekly[0],
            "max_weekly_hours": weekly[1],
            "license": LICENSE if offeror in ("ocw", "oll") else "",
            "runs": runs,
        }

    def media(self, kind: str, index: int, parent_title: str = "") -> dict:
        rng = self.rng
        topics = self.topics(1)
        subject = self.subject(topics)
        source_id = f"{kind}-{index:06d}"
        speaker = self.person()
        common = {
            "source_id": source_id,
            "topics": topics,
            "instructors": [speaker],
            "languages": ["en"],
            "published_at": self.when(-720, -1).isoformat(),
            "delivery": "online",
            "availability": "anytime",
        }
        if kind == "video":
            return {
                **common,
                "resource_type": "video",
                "title": f"{subject}: {rng.choice(['Lecture', 'Recitation', 'Talk', 'Demo'])} {rng.randint(1, 24)}",
                "description": f"<p>{speaker} on {subject.lower()}.</p>",
                "url": f"https://www.youtube.com/watch?v=demo{index:06d}",
                "media_url": f"https://www.youtube.com/embed/demo{index:06d}",
                "duration_seconds": rng.randint(300, 5400),
                "offered_by": {"code": "ocw", "name": "MIT OpenCourseWare"},
                "platform": {"code": "youtube", "name": "YouTube"},
            }
        if kind == "podcast_episode":
            return {
                **common,
                "resource_type": "podcast_episode",
                "title": f"{subject} with {speaker}",
                "description": f"<p>A conversation with {speaker} about {subject.lower()} and where it is going.</p>",
                "url": f"https://podcasts.example.edu/episodes/{source_id}",
                "media_url": f"https://podcasts.example.edu/audio/{source_id}.mp3",
                "transcript_url": f"https://podcasts.example.edu/transcripts/{source_id}.txt",
                "duration_seconds": rng.randint(900, 4200),
                "offered_by": {"code": "mitol", "name": "MIT Open Learning"},
                "platform": {"code": "podcast", "name": "Podcast"},
            }
        if kind == "article":
            return {
                **common,
                "resource_type": "article",
                "title": f"{rng.choice(['How', 'Why', 'When'])} {subject} {rng.choice(['matters', 'works', 'fails'])}",
                "description": self.paragraphs(subject, "article"),
                "url": f"https://news.example.edu/articles/{source_id}",
                "offered_by": {"code": "mitol", "name": "MIT Open Learning"},
            }
        return {
            **common,
            "resource_type": "document",
            "title": f"{subject} {rng.choice(['Lecture Notes', 'Problem Set', 'Reading List', 'Exam Review'])}",
            "description": f"<p>Course material on {subject.lower()}.</p>",
            "url": f"https://ocw.example.edu/files/{source_id}.pdf",
            "course_numbers": [f"{rng.choice(DEPARTMENTS)[0]}.{rng.randint(100, 999)}"],
            "license": LICENSE,
            "offered_by": {"code": "ocw", "name": "MIT OpenCourseWare"},
            "platform": {"code": "ocw", "name": "OCW"},
        }

    def parent(self, kind: str, index: int, children: list[tuple[str, str]]) -> dict:
        rng = self.rng
        topics = self.topics(2)
        subject = self.subject(topics)
        source_id = f"{kind}-{index:06d}"
        refs = [{"resource_type": child_type, "source_id": child_id} for child_type, child_id in children]
        record = {"resource_type": kind, "source_id": source_id, "topics": topics, "children": refs}
        if kind == "program":
            offeror, offeror_name, platform, platform_name, paid, certificate = rng.choice(PROVIDERS[:6])
            return {
                **record,
                "title": rng.choice(PROGRAM_PATTERNS).format(s=subject),
                "description": self.paragraphs(subject, "program"),
                "url": f"https://learn.example.edu/programs/{source_id}",
                "offered_by": {"code": offeror, "name": offeror_name},
                "platform": {"code": platform, "name": platform_name},
                "certification": True,
                "certification_type": "micromasters" if offeror == "mitx" else "professional",
                "prices": [{"amount": f"{rng.choice([600, 1350, 4800, 9900])}.00", "currency": "USD"}],
                "duration": f"{len(children) * 3} months",
                "level": rng.choice(LEVELS),
                "instructors": [self.person() for _ in range(2)],
            }
        if kind == "learning_path":
            return {
                **record,
                "title": f"Learning path: {subject}",
                "description": f"<p>A curated sequence of courses, videos and readings on {subject.lower()}.</p>",
                "url": f"https://learn.example.edu/paths/{source_id}",
                "offered_by": {"code": "mitol", "name": "MIT Open Learning"},
            }
        if kind == "podcast":
            return {
                **record,
                "title": f"{rng.choice(PODCAST_NAMES)} #{index}",
                "description": "<p>Conversations with MIT researchers and teachers about their work.</p>",
                "url": f"https://podcasts.example.edu/{source_id}",
                "offered_by": {"code": "mitol", "name": "MIT Open Learning"},
                "platform": {"code": "podcast", "name": "Podcast"},
                "availability": "anytime",
            }
        return {
            **record,
            "title": f"{subject} Video Series",
            "description": f"<p>Lectures and talks on {subject.lower()}.</p>",
            "url": f"https://www.youtube.com/playlist?list=demo{index:06d}",
            "offered_by": {"code": "ocw", "name": "MIT OpenCourseWare"},
            "platform": {"code": "youtube", "name": "YouTube"},
            "availability": "anytime",
        }

    def block(self, start: int, size: int) -> list[dict]:
        records, made = [], {}
        index = start
        for kind, count in _layout(size):
            for _ in range(count):
                if kind == "course":
                    record = self.course(index)
                elif kind in ("video", "podcast_episode", "article", "document"):
                    record = self.media(kind, index)
                else:
                    record = self.parent(kind, index, self._children(kind, made))
                made.setdefault(kind, []).append(record["source_id"])
                records.append(record)
                index += 1
        return records

    def _children(self, kind: str, made: dict[str, list[str]]) -> list[tuple[str, str]]:
        rng = self.rng

        def pick(child_type: str, low: int, high: int) -> list[tuple[str, str]]:
            pool = made.get(child_type, [])
            return [(child_type, sid) for sid in rng.sample(pool, min(len(pool), rng.randint(low, high)))]

        if kind == "program":
            return pick("course", 3, 5)
        if kind == "podcast":
            return pick("podcast_episode", 3, 6)
        if kind == "video_playlist":
            return pick("video", 3, 8)
        items = pick("course", 1, 3) + pick("video", 1, 3) + pick("article", 0, 2)
        rng.shuffle(items)
        return items


def generate_records(n: int, seed: int = DEMO_SEED, anchor: dt.datetime | None = None) -> Iterator[dict]:
    """Yield `n` realistic record dicts of every type; the same `seed` (and anchor month) gives the same records."""
    generator = _Generator(seed, anchor or _anchor())
    for start in range(0, n, BLOCK):
        yield from generator.block(start, min(BLOCK, n - start))


def load_catalog(log) -> None:
    """Load the demo catalogue through the catalogue loader (idempotent: a second run changes nothing)."""
    from catalog.loader import load_resources

    result = load_resources(DEMO_SOURCE, generate_records(DEMO_SIZE))
    log(result.summary())
    for error in result.errors[:5]:
        log(f"  {error}")

    load_demo_content_files(log)


# --- Demo content files: a few courses get a syllabus, lecture notes and a problem set ----------------------------

DEMO_FILE_COURSES = 25


class _DemoFile:
    """The shape `load_content_files` reads (importers pass their own records; the demo writes text directly)."""

    def __init__(self, key: str, title: str, content_type: str, text: str):
        import hashlib

        self.key, self.title, self.content_type, self.text = key, title, content_type, text
        self.source_path, self.data, self.file_extension, self.url = key, b"", ".html", ""
        self.checksum = hashlib.sha256(text.encode()).hexdigest()


def demo_files(resource) -> list[_DemoFile]:
    topics = [topic.name for topic in resource.topics.all()] or ["the subject"]
    main = topics[0]
    return [
        _DemoFile(
            "syllabus.html",
            "Syllabus",
            "page",
            f"Syllabus of {resource.title}.\n\nThis course introduces {', '.join(topics)}. Weekly lectures build "
            f"from first principles to current practice in {main}; recitations work through examples.\n\n"
            "Grading: problem sets 40%, midterm 25%, final project 35%. Late work loses 10% per day.",
        ),
        _DemoFile(
            "lecture-notes-1.html",
            "Lecture 1 notes",
            "file",
            f"Lecture 1: why {main} matters.\n\nWe define the core vocabulary of {main}, survey the questions the "
            f"field asks, and work one problem end to end. Reading: chapter 1 of the course text on {main}.",
        ),
        _DemoFile(
            "problem-set-1.html",
            "Problem set 1",
            "problem",
            f"Problem set 1.\n\n1. State the three assumptions behind the first model of {main} seen in lecture.\n"
            f"2. Estimate the quantity discussed in class for a case you choose, and say which data you used.\n"
            "3. Write half a page on where the model fails.",
        ),
    ]


def load_demo_content_files(log) -> None:
    """Give the first demo courses a few content files (idempotent: unchanged files are skipped by checksum)."""
    from catalog.content_files import load_content_files
    from catalog.models import LearningResource

    courses = (
        LearningResource.objects.public()
        .filter(source=DEMO_SOURCE, resource_type="course")
        .prefetch_related("topics")
        .order_by("pk")[:DEMO_FILE_COURSES]
    )
    created = 0
    for course in courses:
        result = load_content_files(course, demo_files(course), extract=lambda data, name: data.decode())
        created += result.created
    log(f"demo content files: {created} created for {len(courses)} courses")
