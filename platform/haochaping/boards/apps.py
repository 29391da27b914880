from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "haochaping.boards"
    label = "boards"
    verbose_name = "大厅评价屏 / Hall boards"
