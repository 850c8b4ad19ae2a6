"""Seed the lookup tables with a sensible default set (editable in the admin afterwards).

Idempotent: rows are matched by code (offerors, platforms, departments) or slug (topics) and only created when
missing, so editors' changes to existing rows survive re-running it.
"""

from django.db import migrations
from django.utils.text import slugify

# Top-level topics (after MIT Learn's) with a few children each. Child names are unique across the tree.
TOPICS = {
    "Business & Management": [
        "Accounting",
        "Entrepreneurship",
        "Finance",
        "Innovation",
        "Leadership",
        "Marketing",
        "Operations Management",
        "Supply Chain",
    ],
    "Computer Science": [
        "Algorithms and Data Structures",
        "Artificial Intelligence",
        "Computer Networks",
        "Cybersecurity",
        "Machine Learning",
        "Programming",
        "Software Engineering",
        "Theory of Computation",
    ],
    "Data Science": ["Analytics", "Big Data", "Data Visualization", "Statistics"],
    "Education & Teaching": ["Curriculum and Teaching", "Digital Learning", "Education Policy"],
    "Energy, Climate & Sustainability": [
        "Climate Science",
        "Energy Systems",
        "Environmental Policy",
        "Renewable Energy",
        "Sustainability",
    ],
    "Engineering": [
        "Aerospace Engineering",
        "Biological Engineering",
        "Chemical Engineering",
        "Civil Engineering",
        "Electrical Engineering",
        "Materials Science",
        "Mechanical Engineering",
        "Nuclear Engineering",
        "Robotics",
        "Systems Engineering",
    ],
    "Health & Medicine": ["Biomedicine", "Health Care Management", "Neuroscience", "Public Health"],
    "Humanities": ["History", "Languages", "Literature", "Music", "Philosophy", "Writing"],
    "Art, Design & Architecture": ["Architecture", "Design", "Urban Planning", "Visual Arts"],
    "Mathematics": ["Algebra", "Calculus", "Differential Equations", "Linear Algebra", "Probability"],
    "Science": ["Astronomy", "Biology", "Chemistry", "Earth Science", "Physics"],
    "Social Sciences": ["Anthropology", "Economics", "Political Science", "Psychology", "Sociology"],
}

OFFERORS = [
    ("mitx", "MITx", "https://www.mitx.org/"),
    ("ocw", "MIT OpenCourseWare", "https://ocw.mit.edu/"),
    ("xpro", "MIT xPRO", "https://xpro.mit.edu/"),
    ("mitpe", "MIT Professional Education", "https://professional.mit.edu/"),
    ("see", "MIT Sloan Executive Education", "https://executive.mit.edu/"),
    ("mitol", "MIT Open Learning", "https://openlearning.mit.edu/"),
    ("csail", "MIT CSAIL", "https://www.csail.mit.edu/"),
    ("bootcamps", "MIT Bootcamps", "https://bootcamp.mit.edu/"),
    ("oll", "Open Learning Library", "https://openlearninglibrary.mit.edu/"),
    ("ctl", "MIT Center for Transportation & Logistics", "https://ctl.mit.edu/"),
    ("scc", "Schwarzman College of Computing", "https://computing.mit.edu/"),
]

PLATFORMS = [
    ("mitxonline", "MITx Online", "https://mitxonline.mit.edu/"),
    ("edx", "edX", "https://www.edx.org/"),
    ("ocw", "OCW", "https://ocw.mit.edu/"),
    ("xpro", "MIT xPRO", "https://xpro.mit.edu/"),
    ("mitpe", "MIT Professional Education", "https://professional.mit.edu/"),
    ("see", "MIT Sloan Executive Education", "https://executive.mit.edu/"),
    ("oll", "Open Learning Library", "https://openlearninglibrary.mit.edu/"),
    ("youtube", "YouTube", "https://www.youtube.com/"),
    ("podcast", "Podcast", ""),
    ("canvas", "Canvas", "https://canvas.mit.edu/"),
    ("emeritus", "Emeritus", "https://emeritus.org/"),
    ("globalalumni", "Global Alumni", "https://www.globalalumni.org/"),
    ("climate", "MIT Climate Portal", "https://climate.mit.edu/"),
    ("bootcamps", "Bootcamps", "https://bootcamp.mit.edu/"),
]

ENGINEERING = "School of Engineering"
SCIENCE = "School of Science"
SHASS = "School of Humanities, Arts, and Social Sciences"
ARCHITECTURE = "School of Architecture and Planning"
SLOAN = "Sloan School of Management"
COMPUTING = "Schwarzman College of Computing"

DEPARTMENTS = [
    ("1", "Civil and Environmental Engineering", ENGINEERING),
    ("2", "Mechanical Engineering", ENGINEERING),
    ("3", "Materials Science and Engineering", ENGINEERING),
    ("4", "Architecture", ARCHITECTURE),
    ("5", "Chemistry", SCIENCE),
    ("6", "Electrical Engineering and Computer Science", ENGINEERING),
    ("7", "Biology", SCIENCE),
    ("8", "Physics", SCIENCE),
    ("9", "Brain and Cognitive Sciences", SCIENCE),
    ("10", "Chemical Engineering", ENGINEERING),
    ("11", "Urban Studies and Planning", ARCHITECTURE),
    ("12", "Earth, Atmospheric, and Planetary Sciences", SCIENCE),
    ("14", "Economics", SHASS),
    ("15", "Management", SLOAN),
    ("16", "Aeronautics and Astronautics", ENGINEERING),
    ("17", "Political Science", SHASS),
    ("18", "Mathematics", SCIENCE),
    ("20", "Biological Engineering", ENGINEERING),
    ("21A", "Anthropology", SHASS),
    ("21G", "Global Languages", SHASS),
    ("21H", "History", SHASS),
    ("21L", "Literature", SHASS),
    ("21M", "Music and Theater Arts", SHASS),
    ("21W", "Writing", SHASS),
    ("22", "Nuclear Science and Engineering", ENGINEERING),
    ("24", "Linguistics and Philosophy", SHASS),
    ("CMS-W", "Comparative Media Studies/Writing", SHASS),
    ("HST", "Health Sciences and Technology", ENGINEERING),
    ("IDS", "Data, Systems, and Society", COMPUTING),
    ("MAS", "Media Arts and Sciences", ARCHITECTURE),
    ("STS", "Science, Technology, and Society", SHASS),
    ("WGS", "Women's and Gender Studies", SHASS),
    ("ESD", "Engineering Systems Division", ENGINEERING),
    ("EC", "Edgerton Center", ENGINEERING),
    ("PE", "Athletics, Physical Education and Recreation", ""),
    ("SP", "Special Programs", ""),
]


def seed(apps, schema_editor):
    Topic = apps.get_model("catalog", "Topic")
    Offeror = apps.get_model("catalog", "Offeror")
    Platform = apps.get_model("catalog", "Platform")
    Department = apps.get_model("catalog", "Department")

    for parent_name, children in TOPICS.items():
        parent, _ = Topic.objects.get_or_create(
            slug=slugify(parent_name), defaults={"name": parent_name, "parent": None}
        )
        for child_name in children:
            Topic.objects.get_or_create(slug=slugify(child_name), defaults={"name": child_name, "parent": parent})
    for code, name, url in OFFERORS:
        Offeror.objects.get_or_create(code=code, defaults={"name": name, "url": url})
    for code, name, url in PLATFORMS:
        Platform.objects.get_or_create(code=code, defaults={"name": name, "url": url})
    for code, name, school in DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={"name": name, "school": school})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
