"""The quiz, answered like a reader would; the score survives a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

QUIZ = Path(__file__).resolve().parents[2] / "docs" / "learn" / "quiz.yml"

pytestmark = pytest.mark.e2e


def question(page, question_id):
    return page.locator(f'.quiz__question[data-question="{question_id}"]')


def test_answers_are_explained_scored_and_kept(page, site_url):
    page.goto(site_url + "learn/quiz/")
    expect(page.locator(".quiz[data-mounted]")).to_be_visible(timeout=30_000)
    score = page.locator(".quiz__score")
    expect(score).to_contain_text("Answered 0 of")

    wrong = question(page, "q-meaning")
    wrong.locator('input[value="0"]').check()
    wrong.locator(".quiz__check").click()
    expect(wrong).to_have_attribute("data-state", "wrong")
    expect(wrong.locator(".quiz__explanation")).to_be_visible()
    expect(wrong.locator(".quiz__explanation a")).to_have_text("Read the lesson")

    numeric = question(page, "bellman-backup")
    numeric.locator(".quiz__input").fill("0,73")
    numeric.locator(".quiz__check").click()
    expect(numeric).to_have_attribute("data-state", "right")

    predict = question(page, "predict-bad0")
    expect(predict.locator(".quiz__maze")).to_contain_text("A......")
    predict.get_by_label("right").check()
    predict.locator(".quiz__check").click()
    expect(predict).to_have_attribute("data-state", "right")
    questions = len(yaml.safe_load(QUIZ.read_text(encoding="utf-8")))
    expect(score).to_contain_text(f"Answered 3 of {questions}; 2 right.")

    page.reload()
    expect(page.locator(".quiz__score")).to_contain_text(
        f"Answered 3 of {questions}; 2 right.", timeout=30_000
    )
    expect(question(page, "bellman-backup").locator(".quiz__input")).to_have_value("0,73")
    page.locator(".quiz__reset").click()
    expect(page.locator(".quiz__score")).to_contain_text("Answered 0 of")
    expect(question(page, "q-meaning").locator(".quiz__explanation")).to_be_hidden()


def test_choices_show_maths_and_numbers_are_never_misread(page, site_url):
    page.goto(site_url + "learn/quiz/")
    expect(page.locator(".quiz[data-mounted]")).to_be_visible(timeout=30_000)

    # Question 1's choices are typeset, not shown as raw "$a$".
    first = question(page, "q-meaning")
    expect(first.locator(".quiz__choice .katex").first).to_be_visible()
    assert "$" not in first.locator(".quiz__choices").inner_text()
    first.locator('input[value="3"]').check()
    first.locator(".quiz__check").click()
    expect(first.locator(".quiz__feedback")).to_have_text(
        "✗ Not quite: the answer is “The expected return from taking action a in state s "
        "and acting well afterwards”."
    )

    endless = question(page, "endless-ones")  # the answer is 10
    field, feedback = endless.locator(".quiz__input"), endless.locator(".quiz__feedback")
    field.fill("1,000")  # a thousand, or 1 with a decimal comma: asked, not read as 1
    endless.locator(".quiz__check").click()
    expect(feedback).to_contain_text("“1,000” is ambiguous: 1000 with a thousands comma")
    expect(endless).not_to_have_attribute("data-state", "wrong")
    expect(page.locator(".quiz__score")).to_contain_text("Answered 1 of")
    field.fill("1,000,000")
    field.press("Enter")
    expect(feedback).to_have_text("✗ Not quite (read as 1000000): the answer is 10.")
    field.fill("10,0")
    field.press("Enter")
    expect(feedback).to_have_text("✓ Right (read as 10).")
    expect(endless).to_have_attribute("data-state", "right")
