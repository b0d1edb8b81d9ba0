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
    assert collapse_alarm({"modes_captured": 7, "reverse_kl": 0.0}, 8, 0.3) is not None  # one of 8 missing


def test_collapse_alarm_tolerates_chance_misses_among_many_modes() -> None:
    """Up to 1% of 1,000 modes may go unseen in a finite sample; more is collapse."""
    assert collapse_alarm({"modes_covered": 998, "mode_kl": 0.1}, 1000, 0.3) is None
    assert collapse_alarm({"modes_covered": 990, "mode_kl": 0.1}, 1000, 0.3) is None
    message = collapse_alarm({"modes_covered": 989, "mode_kl": 0.1}, 1000, 0.3)
    assert message is not None and "covers 989 of 1000 modes" in message
