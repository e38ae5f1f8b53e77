"""The seed data set says what the article says: every action, its lead, its words, its figures.

The expectations below were typed from the article (fixtures/sources/people-daily-2023-03-02.txt)
line by line, not read from the fixtures.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from initiatives.models import (
    Agency,
    Indicator,
    IndicatorReading,
    Initiative,
    InitiativeSource,
    Milestone,
    Source,
    Tag,
)
from initiatives.tokens import token_issue
from tests.factories import UserFactory

ARTICLE = (Path(settings.BASE_DIR) / "fixtures/sources/people-daily-2023-03-02.txt").read_text()

JIN, XIN, TIAN = "Jin Zhuanglong", "Xin Guobin", "Tian Yulong"

# slug: (parent slug, speaker or "", words the announcing excerpt must contain)
EXPECTED: dict[str, tuple[str | None, str, str]] = {
    "modern-industrial-system": (None, JIN, "modern industrial system"),
    "complete-industrial-system-advantages": (
        "modern-industrial-system",
        JIN,
        "complete industrial system",
    ),
    "manufacturing-share-stable": (
        "modern-industrial-system",
        JIN,
        "proportion of manufacturing industry basically stable",
    ),
    "upgrade-traditional-industries": (
        "modern-industrial-system",
        "",
        "Transform and upgrade traditional industries",
    ),
    "technological-transformation-equipment-renewal": (
        "upgrade-traditional-industries",
        "",
        "technological transformation and equipment renewal",
    ),
    "variety-quality-brand-action": (
        "upgrade-traditional-industries",
        "",
        "increasing variety, improving quality, and creating brand",
    ),
    "intelligent-manufacturing-projects": (
        "upgrade-traditional-industries",
        "",
        "intelligent manufacturing projects",
    ),
    "service-oriented-manufacturing": (
        "upgrade-traditional-industries",
        "",
        "service-oriented manufacturing",
    ),
    "producer-services": ("upgrade-traditional-industries", "", "producer services"),
    "industrial-carbon-peaking-plan": (
        "upgrade-traditional-industries",
        "",
        "carbon peaking in the industrial field",
    ),
    "green-manufacturing": ("upgrade-traditional-industries", "", "green manufacturing"),
    "key-industry-mergers": (
        "upgrade-traditional-industries",
        "",
        "mergers and reorganizations in key industries",
    ),
    "advantageous-industries": (
        "modern-industrial-system",
        "",
        "Consolidate and extend advantageous industries",
    ),
    "industrial-foundation-reengineering": (
        "advantageous-industries",
        "",
        "industrial foundation reengineering",
    ),
    "major-technical-equipment-research": (
        "advantageous-industries",
        "",
        "major technical equipment research",
    ),
    "leading-world-class-enterprises": ("advantageous-industries", "", "world-class enterprises"),
    "advanced-manufacturing-clusters": (
        "advantageous-industries",
        "",
        "advanced manufacturing clusters",
    ),
    "emerging-industries": (
        "modern-industrial-system",
        "",
        "Cultivate and expand emerging industries",
    ),
    "emerging-industry-application-scenarios": (
        "emerging-industries",
        "",
        "new application scenarios",
    ),
    "manufacturing-innovation-centers": (
        "emerging-industries",
        "",
        "National Manufacturing Innovation Center",
    ),
    "robot-plus-application-action": ("emerging-industries", "", "“robot +” application action"),
    "iot-industry-development": ("emerging-industries", "", "Internet of Things industry"),
    "future-industries": ("modern-industrial-system", JIN, "future industrial development"),
    "future-industries-action-plan": (
        "future-industries",
        JIN,
        "action plan for future industrial development",
    ),
    "frontier-fields-deployment": (
        "future-industries",
        JIN,
        "humanoid robots, metaverse, and quantum technology",
    ),
    "6g-research-and-development": (
        "future-industries",
        JIN,
        "research and development of 6G technology",
    ),
    "local-governments-try-first": (
        "future-industries",
        JIN,
        "Encourage local governments to try first",
    ),
    "intelligent-manufacturing": (None, XIN, "main direction of intelligent manufacturing"),
    "multi-level-application-promotion": (
        "intelligent-manufacturing",
        "",
        "multi-level application promotion",
    ),
    "smart-factories-supply-chains": (
        "multi-level-application-promotion",
        "",
        "world-class smart factories and smart supply chains",
    ),
    "sme-targeted-solutions": (
        "multi-level-application-promotion",
        "",
        "small and medium-sized enterprises",
    ),
    "intelligent-manufacturing-pioneer-areas": (
        "multi-level-application-promotion",
        "",
        "pioneering areas for intelligent manufacturing",
    ),
    "integrated-technological-innovation": (
        "intelligent-manufacturing",
        "",
        "integrated technological innovation",
    ),
    "complex-design-advanced-technology-research": (
        "integrated-technological-innovation",
        "",
        "complex design and advanced technology",
    ),
    "ai-digital-twin-technologies": (
        "integrated-technological-innovation",
        "",
        "artificial intelligence and digital twins",
    ),
    "industrial-software-process-packages": (
        "integrated-technological-innovation",
        "",
        "basic industrial software and core process packages",
    ),
    "basic-support-capabilities": (
        "intelligent-manufacturing",
        "",
        "Strengthen basic support capabilities",
    ),
    "equipment-digitalization-policies": (
        "basic-support-capabilities",
        "",
        "digital development of equipment",
    ),
    "5g-industrial-internet-deployment": (
        "basic-support-capabilities",
        "",
        "deployment and application of 5G and industrial Internet",
    ),
    "intelligent-manufacturing-standards": (
        "basic-support-capabilities",
        "",
        "intelligent manufacturing standard system",
    ),
    "intelligent-manufacturing-international-cooperation": (
        "basic-support-capabilities",
        "",
        "international exchanges and cooperation",
    ),
    "new-infrastructure": (None, "", "construction of new infrastructure"),
    "5g-network": ("new-infrastructure", "", "largest and technologically advanced 5G network"),
    "5g-coverage-depth-breadth": ("5g-network", "", "depth and breadth of 5G network coverage"),
    "5g-co-construction-sharing": ("5g-network", "", "co-construction and sharing"),
    "5g-applications-all-sectors": ("5g-network", "", "all walks of life"),
    "5g-plus-industrial-internet": ("5g-network", "", "“5G+Industrial Internet”"),
    "gigabit-networks-computing-power": (
        "new-infrastructure",
        "",
        "computing power ranks second in the world",
    ),
    "gigabit-broadband-5g-connectivity": (
        "gigabit-networks-computing-power",
        "",
        "“Gigabit connectivity to cities”",
    ),
    "east-counting-west-computing": (
        "gigabit-networks-computing-power",
        "",
        "“East Counting, West Computing” project",
    ),
    "light-chasing-action": (
        "gigabit-networks-computing-power",
        "",
        "“Light Chasing Action” for gigabit optical networks",
    ),
    "broadband-frontiers-cloud-networks": (
        "gigabit-networks-computing-power",
        "",
        "“broadband frontiers”",
    ),
    "computing-network-integration": (
        "gigabit-networks-computing-power",
        "",
        "computing-network integration",
    ),
    "mobile-iot": ("new-infrastructure", TIAN, "mobile Internet of Things"),
    "mobile-iot-comprehensive-development": (
        "mobile-iot",
        TIAN,
        "comprehensive development of the mobile Internet of Things",
    ),
    "fixed-mobile-iot-access": ("mobile-iot", TIAN, "fixed-mobile integration"),
    "mobile-iot-application-scenarios": (
        "mobile-iot",
        TIAN,
        "application scenarios of the mobile Internet of Things",
    ),
}

# Where the article itself says the Ministry of Industry and Information Technology will act.
LEAD_NAMED_BY_ARTICLE = {
    "5g-coverage-depth-breadth",
    "5g-co-construction-sharing",
    "5g-applications-all-sectors",
    "5g-plus-industrial-internet",
    "light-chasing-action",
}

# Every figure of the article: (indicator name, value, qualifier, unit as the article states it).
FIGURES = [
    (
        "Traditional industries' share of manufacturing",
        "80",
        "more_than",
        "% of the manufacturing industry",
    ),
    (
        "Share of world output of important products such as personal computers, mobile phones, household appliances and solar panels",
        "50",
        "more_than",
        "% of world output",
    ),
    (
        "High-level digital workshops and smart factories built",
        "2100",
        "more_than",
        "digital workshops and smart factories",
    ),
    ("5G base stations", "2310000", "more_than", "base stations"),
    (
        "Prefecture-level cities and counties covered by the 5G network",
        "100",
        "exactly",
        "% of prefecture-level cities and counties",
    ),
    ("Households that gigabit optical networks can cover", "500000000", "more_than", "households"),
    ("Data center racks in use", "6500000", "more_than", "standard racks"),
    ("Servers", "20000000", "more_than", "servers"),
    ("World rank of total computing power", "2", "exactly", "rank in the world"),
    ("Mobile Internet of Things connections", "1845000000", "exactly", "households"),
    (
        "Share of the world's mobile Internet of Things connections",
        "70",
        "more_than",
        "% of the world's connections",
    ),
]


@pytest.fixture
def seed(db: None) -> None:
    call_command("loaddata", "seed", verbosity=0)


@pytest.mark.usefixtures("seed")
class TestSeed:
    def test_agencies(self) -> None:
        miit = Agency.objects.get(short_name="MIIT")
        assert (miit.name, miit.name_zh, miit.kind) == (
            "Ministry of Industry and Information Technology",
            "工业和信息化部",
            "ministry",
        )
        assert Agency.objects.get(short_name="SCIO").name == "State Council Information Office"

    def test_source_is_the_peoples_daily_report(self) -> None:
        source = Source.objects.get()
        assert (source.kind, source.publisher, source.published_on) == (
            "news_report",
            "People's Daily",
            datetime.date(2023, 3, 2),
        )
        assert "2023-03-01" in source.description
        assert "State Council Information Office" in source.description

    def test_every_announced_action_is_there_and_nothing_else(self) -> None:
        assert len(EXPECTED) >= 40
        assert set(Initiative.objects.values_list("slug", flat=True)) == set(EXPECTED)

    def test_each_action_has_its_lead_parent_and_citation(self) -> None:
        problems = [
            f"{initiative.slug}: {problem}"
            for initiative in Initiative.objects.select_related(
                "owner_agency", "parent"
            ).prefetch_related("citations__source")
            for problem in self._problems(initiative)
        ]
        assert problems == []

    @staticmethod
    def _problems(initiative: Initiative) -> list[str]:
        parent, speaker, words = EXPECTED[initiative.slug]
        (citation,) = initiative.citations.all()
        checks = {
            "lead is MIIT": initiative.owner_agency.short_name == "MIIT",
            "parent": (initiative.parent.slug if initiative.parent else None) == parent,
            "announced on 2023-03-01": initiative.announced_on == datetime.date(2023, 3, 1),
            "cites the People's Daily report": citation.source.publisher == "People's Daily",
            "excerpt quoted word for word": citation.excerpt in ARTICLE,
            f"excerpt says {words!r}": words.lower() in citation.excerpt.lower(),
            f"speaker is {speaker!r}": citation.speaker == speaker,
            "notes say whether the article names a lead": (
                ("names no lead" in initiative.notes)
                is (initiative.slug not in LEAD_NAMED_BY_ARTICLE)
            ),
        }
        return [name for name, ok in checks.items() if not ok]

    def test_no_deadline_or_target_the_article_does_not_give(self) -> None:
        assert not Initiative.objects.filter(target_date__isnull=False).exists()
        assert not Initiative.objects.filter(completed_on__isnull=False).exists()
        assert not Milestone.objects.exists()
        assert not Indicator.objects.filter(target_value__isnull=False).exists()
        assert not Indicator.objects.exclude(kind="").exists()

    def test_every_figure_is_a_reading_with_qualifier_unit_and_source(self) -> None:
        readings = {
            reading.indicator.name: reading
            for reading in IndicatorReading.objects.select_related("indicator", "source")
        }
        assert set(readings) == {name for name, *_ in FIGURES}
        for name, value, qualifier, unit in FIGURES:
            reading = readings[name]
            assert reading.value == Decimal(value), name
            assert reading.qualifier == qualifier, name
            assert reading.indicator.unit == unit, name
            assert reading.source is not None, name
            assert reading.excerpt in ARTICLE, name

    def test_speakers_are_only_those_the_article_attributes(self) -> None:
        speakers = set(InitiativeSource.objects.values_list("speaker", flat=True))
        assert speakers == {"", JIN, XIN, TIAN}
        for name in (JIN, XIN, TIAN):
            assert name in ARTICLE

    def test_every_record_loaded_has_one_baseline_history_row(self) -> None:
        for model in (Agency, Source, Tag, Initiative, InitiativeSource, Indicator):
            baseline = model.history.all()
            assert baseline.count() == model.objects.count() > 0, model
            assert set(baseline.values_list("history_type", flat=True)) == {"+"}
        assert IndicatorReading.history.count() == IndicatorReading.objects.count()


def test_the_first_change_to_a_seeded_initiative_shows_old_and_new_values(
    db: None, client: Client
) -> None:
    # given the seed, loaded as `make run` loads it, and a superuser
    call_command("load_seed", verbosity=0)
    initiative = Initiative.objects.get(slug="light-chasing-action")
    seeded_summary = initiative.summary
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=root, name='test')[1]}")
    # when its summary is changed through the API
    url = f"/api/v1/initiatives/{initiative.pk}/"
    response = api.patch(url, {"summary": "Gigabit networks in every county."})
    assert response.status_code == 200, response.content
    # then the API's history shows that change with the old and the new value
    latest, baseline = api.get(f"{url}history/").json()
    assert latest["change_type"] == "changed"
    assert {
        "field": "summary",
        "old": seeded_summary,
        "new": "Gigabit networks in every county.",
    } in latest["changes"]
    assert baseline["change_type"] == "created"
    # and so does the admin's history page
    client.force_login(root)
    page = client.get(reverse("admin:initiatives_initiative_history", args=[initiative.pk]))
    assert page.status_code == 200
    # (the page shortens long values in the middle)
    changes = re.search(r"<strong>Summary:</strong>(.*?)</li>", page.content.decode(), re.S)
    assert changes is not None, "the history page shows no change to the summary"
    old, new = changes.group(1).split("&rarr;")
    assert escape(seeded_summary[:40]) in old
    assert "Gigabit networks in every county." in new


def test_loading_a_fixture_again_records_what_it_overwrote(db: None, tmp_path: Path) -> None:
    # given the seed, and a later import of one of its agencies with a new contact address
    call_command("loaddata", "seed", verbosity=0)
    fixture = tmp_path / "update.json"
    miit = Agency.objects.get(short_name="MIIT")
    fields = {
        "name": miit.name,
        "name_zh": miit.name_zh,
        "short_name": "MIIT",
        "slug": "miit",
        "kind": "ministry",
        "contact_email": "office@miit.example",
    }
    fixture.write_text(
        json.dumps([{"model": "initiatives.agency", "pk": miit.pk, "fields": fields}])
    )
    # when it is loaded
    call_command("loaddata", str(fixture), verbosity=0)
    # then the history has the change, with the address before and after
    latest, baseline = miit.history.order_by("-history_id")[:2]
    assert (baseline.history_type, latest.history_type) == ("+", "~")
    change = latest.diff_against(baseline)
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("contact_email", "", "office@miit.example")
    ]
