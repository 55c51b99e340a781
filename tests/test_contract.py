"""The public contract of ``vgcore`` that other checks call: names and exact signatures."""

import inspect
import subprocess
import sys

from sourcetree import imports_of, source_modules

import vgcore

CONTRACT = {
    "chain_gradient": ["weights", "activation='sigmoid'", "dtype='float64'"],
    "chain_log10_abs_gradient": ["weights", "activation='sigmoid'"],
    "mlp_loss_and_grads": ["params", "X", "y", "activation='sigmoid'", "loss='mse'"],
    "mlp_backprop_norms": ["params", "X", "y", "activation='sigmoid'", "loss='mse'"],
    "init_mlp": ["sizes", "scheme='standard'", "seed=0"],
    "update_is_lost": ["w", "delta", "dtype='float64'"],
    "classify_stationary_point": ["hessian"],
}


def test_contract_names_and_positional_signatures():
    """Each contract function takes exactly these leading parameters (extras are keyword-only)."""
    for name, expected in CONTRACT.items():
        assert name in vgcore.__all__
        parameters = inspect.signature(getattr(vgcore, name)).parameters.values()
        leading = [
            str(p).split(":")[0].strip() + (f"={p.default!r}" if p.default is not p.empty else "")
            for p in parameters
            if p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        assert leading == expected, name
        extras = [p for p in parameters if p.kind is not p.POSITIONAL_OR_KEYWORD]
        assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in extras), name


def test_vgcore_never_imports_streamlit():
    """The core is plain numpy: importing all of it pulls in neither Streamlit nor Altair."""
    code = "import sys, vgcore; print('streamlit' in sys.modules, 'altair' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_vgapp_never_imports_streamlit_or_altair():
    """Only app.py and vgui draw: the page layer imports neither Streamlit nor Altair (charts are
    Vega-Lite dicts)."""
    code = "import sys, vgapp.page; print('streamlit' in sys.modules, 'altair' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def imported_by(module: str) -> set[str]:
    """The top-level names ``module`` imports (``streamlit``, ``pandas``, ``vgapp``, ``app``),
    read from its source: every import statement, also one inside a function or under
    ``TYPE_CHECKING``."""
    return {found.target.split(".")[0] for found in imports_of(module)}


def layer(module: str) -> str:
    return module.split(".")[0]


def test_only_the_drawing_layer_imports_streamlit():
    """Streamlit is drawn by ``app.py`` and the drawing package ``vgui`` alone (read from the
    source, so a lazy import inside a function counts too)."""
    found = [m for m in source_modules() if "streamlit" in imported_by(m)]
    assert [m for m in found if layer(m) not in ("app", "vgui", "vgserve")] == []
    assert found, "the reader found no import of streamlit at all"
    # The server's guard reads Streamlit's wire messages (its protobuf classes) and draws nothing.
    for module in (m for m in found if layer(m) == "vgserve"):
        lines = source_modules()[module].read_text().splitlines()
        imports = [line for line in lines if "import" in line and "streamlit" in line]
        assert imports, module
        assert all(line.startswith("from streamlit.proto.") for line in imports), imports


def test_the_layers_import_only_downwards():
    """``vgcore`` imports neither Streamlit nor pandas nor the page (``vgapp``, ``vgui``);
    ``vgapp`` imports neither the drawing layer nor the page script."""
    forbidden = {
        "vgcore": {"streamlit", "pandas", "vgapp", "vgui", "app"},
        "vgapp": {"vgui", "app"},
    }
    found = {
        module: sorted(imported_by(module) & forbidden[layer(module)])
        for module in source_modules()
        if layer(module) in forbidden and imported_by(module) & forbidden[layer(module)]
    }
    assert found == {}
    assert any(layer(m) == "vgcore" for m in source_modules())


def test_requirements_txt_pins_what_pyproject_declares():
    """Streamlit Community Cloud installs requirements.txt; pip installs pyproject.toml's
    dependencies: the same pins, so the hosted demo runs what the tests ran."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (root / "requirements.txt").read_text().splitlines()
    pinned = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert pinned == declared
    assert all("==" in requirement for requirement in declared)


def test_the_training_worker_imports_neither_pandas_nor_streamlit():
    """A worker process imports only the lab's run and the core: quick to start, lean."""
    code = (
        "import sys, vgapp.lab.training.worker; "
        "print(*[m in sys.modules for m in ('pandas', 'streamlit', 'altair')])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False", "False"]
