"""The mode-collapse alarm: silent on balanced histograms, a readable message naming what collapsed."""

from ganforge.metrics.monitor import collapse_alarm


def test_collapse_alarm_names_what_collapsed() -> None:
    assert collapse_alarm({"classes_covered": 10, "class_kl": 0.01}, 10, 0.3) is None
    assert collapse_alarm({"domain_fd": 3.0}, 10, 0.3) is None  # nothing to judge
    message = collapse_alarm({"classes_covered": 7, "class_kl": 0.05}, 10, 0.3)
    assert message is not None and "covers 7 of 10 classes" in message and "loss.r1_gamma" in message
    assert "KL(class histogram || uniform) = 0.050" in message
    message = collapse_alarm({"modes_covered": 1000, "mode_kl": 0.31}, 1000, 0.3)
    assert message is not None and "1000 of 1000 modes" in message
    assert "KL(mode histogram || uniform) = 0.310" in message
    message = collapse_alarm({"modes_captured": 8, "reverse_kl": 0.0}, 8, 0.3)
    assert message is None
