from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "haochaping.accounts"
    label = "accounts"
    verbose_name = "用户与令牌 / People and access"
