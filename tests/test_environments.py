"""The bot's environment is the one Rasa 3.6 needs, separate from the api's."""

import subprocess
import sys

from tests.conftest import ROOT


def test_bot_environment_has_rasa_3_6_on_python_3_10():
    python = ROOT / ".venv-bot" / "bin" / "python"
    assert python.exists(), "make envs creates .venv-bot"
    out = subprocess.run(
        [str(python), "-c", "import sys, importlib.metadata as m; print(sys.version_info[:2], m.version('rasa'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "(3, 10) 3.6.21"


def test_api_environment_is_python_3_11_with_cpu_torch():
    import torch

    assert sys.version_info[:2] == (3, 11)
    assert not torch.cuda.is_available()
    assert torch.__version__.startswith("2.13.0")
