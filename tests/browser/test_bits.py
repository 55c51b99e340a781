"""The floating-point panel's bits in Chromium, on a desktop and on a 390x844 phone: w's bits are
buttons; a click on a mantissa bit sets w (the widget and the address bar) to the float with
that bit flipped, computed here with numpy; a refused flip says why and leaves w alone; the
rows of bits stay within the phone's width."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from pagetools.driver import AppPage, new_app_page

from .helpers import assert_clean

pytestmark = pytest.mark.browser

SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1366, "height": 768}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
    },
}
MIN_TARGET_PX = 24
# Every button of w's bits: its box, and how far the rightmost one reaches past the page.
BITS_JS = """() => {
  const boxes = [...document.querySelectorAll("[class*='st-key-fp_bits_'] [role='radio']")]
    .map(b => b.getBoundingClientRect());
  return {boxes: boxes.map(r => [r.left, r.right, r.width, r.height]),
          page: document.documentElement.clientWidth,
          scroll: document.documentElement.scrollWidth};
}"""


def open_bits(browser: Any, app_server: Any, screen: str, query: str) -> AppPage:
    app = new_app_page(browser, app_server, **SCREENS[screen])
    app.open(f"section=floating_point&{query}")
    app.panel("precision").locator(".st-key-fp_bits_mantissa").wait_for()
    return app


def bit_button(app: AppPage, field: str, index: int) -> Any:
    """The ``index``-th button (from the left) of w's ``field`` bits."""
    return app.panel("precision").locator(f".st-key-fp_bits_{field} [role='radio']").nth(index)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_click_on_a_mantissa_bit_flips_it_into_the_widget_and_the_link(
    browser, app_server, screen
) -> None:
    """float32, w = 1: the last mantissa bit clicked gives 1 + 2⁻²³ (numpy's flip of the
    word), shown in the w box and written exactly (repr) into the address bar; then the first
    mantissa bit flips that value again."""
    app = open_bits(browser, app_server, screen, "fp_dtype=float32")
    word = np.array(1.0, np.float32).view(np.uint32)
    expected = float(np.array(word ^ np.uint32(1), np.uint32).view(np.float32))
    bit_button(app, "mantissa", 22).click()
    app.wait_until(lambda: app.url().get("fp_w") == repr(expected), "fp_w in the link")
    app.settle()
    assert app.control_value("fp_w") == expected
    twice = float(np.array(word ^ np.uint32(1 | 1 << 22), np.uint32).view(np.float32))
    bit_button(app, "mantissa", 0).click()
    app.wait_until(lambda: app.url().get("fp_w") == repr(twice), "the second flip")
    app.settle()
    assert app.control_value("fp_w") == twice
    assert_clean(app)
    app.close()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_a_refused_flip_says_why_and_leaves_w(browser, app_server, screen) -> None:
    """float32, w = 1: the exponent's top bit would make w +∞ (all ones): the page says so and
    w stays 1 in the widget and the link."""
    app = open_bits(browser, app_server, screen, "fp_dtype=float32")
    word = int(np.array(1.0, np.float32).view(np.uint32)) ^ (1 << 30)
    assert np.isinf(np.array(word, np.uint32).view(np.float32))  # the test's own premise
    bit_button(app, "exponent", 0).click()
    notice = app.panel("precision").get_by_text("Flipping exponent bit 30 gives +∞")
    notice.wait_for()
    app.settle()
    assert app.control_value("fp_w") == 1.0
    assert "fp_w" not in app.url()
    assert_clean(app)
    app.close()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_the_bits_wrap_within_the_screen_with_touch_sized_buttons(
    browser, app_server, screen
) -> None:
    """float64 (64 buttons): every bit button is at least 24 px square and inside the page's
    width, and the page does not scroll sideways."""
    app = open_bits(browser, app_server, screen, "")
    shown = app.page.evaluate(BITS_JS)
    assert len(shown["boxes"]) == 64
    for left, right, width, height in shown["boxes"]:
        assert width >= MIN_TARGET_PX
        assert height >= MIN_TARGET_PX
        assert left >= 0
        assert right <= shown["page"]
    assert shown["scroll"] <= shown["page"]
    assert_clean(app)
    app.close()


def test_a_bit_flips_from_the_keyboard(browser, app_server) -> None:
    """The bits are buttons: focused and pressed with Space (no pointer), the last mantissa bit
    of float16's 1 flips to 1 + 2⁻¹⁰ (numpy's flip of the word)."""
    app = open_bits(browser, app_server, "desktop", "fp_dtype=float16")
    word = np.array(1.0, np.float16).view(np.uint16)
    expected = float(np.array(word ^ np.uint16(1), np.uint16).view(np.float16))
    bit_button(app, "mantissa", 9).focus()
    app.page.keyboard.press("Space")
    app.wait_until(lambda: app.url().get("fp_w") == repr(expected), "fp_w in the link")
    app.settle()
    assert app.control_value("fp_w") == expected
    assert_clean(app)
    app.close()


def test_a_click_reruns_the_panels_fragment_alone(browser, app_server) -> None:
    """The click asks the server for one rerun, and of a fragment (the panel's), not of the
    page: read from the rerun requests the page sends on its WebSocket."""
    reruns: list[str] = []

    def listen(socket: Any) -> None:
        def sent(payload: Any) -> None:
            if isinstance(payload, bytes | bytearray):
                message = BackMsg()
                message.ParseFromString(bytes(payload))
                if message.WhichOneof("type") == "rerun_script":
                    reruns.append(message.rerun_script.fragment_id)

        socket.on("framesent", sent)

    app = new_app_page(browser, app_server, **SCREENS["desktop"])
    app.page.on("websocket", listen)
    app.open("section=floating_point&fp_dtype=float32")
    app.panel("precision").locator(".st-key-fp_bits_mantissa").wait_for()
    reruns.clear()
    bit_button(app, "mantissa", 22).click()
    app.wait_until(lambda: "fp_w" in app.url(), "fp_w in the link")
    app.settle()
    assert len(reruns) == 1
    assert reruns[0] != ""  # a fragment's id: the page itself did not rerun
    assert_clean(app)
    app.close()
