from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "haochaping.exchange"
    label = "exchange"
    verbose_name = "数据交换 / Exchange"
