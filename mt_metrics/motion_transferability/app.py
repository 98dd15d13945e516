"""The Space's widget: the motion_transferability metric in evaluate's Gradio interface."""

import evaluate
from evaluate.utils import launch_gradio_widget

module = evaluate.load("motion-transfer/motion_transferability")
launch_gradio_widget(module)
