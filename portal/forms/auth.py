"""Login and password forms."""

from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from portal.forms import PortalForm, single_line


class LoginForm(PortalForm):
    email = EmailField("電子郵件", validators=[DataRequired("請輸入電子郵件"), Length(max=254), single_line])
    password = PasswordField("密碼", validators=[DataRequired("請輸入密碼"), Length(max=256)])


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        "電子郵件",
        validators=[DataRequired("請輸入您登入用的電子郵件"), Length(max=254), single_line],
        description="我們會寄一封設定新密碼的連結到這個信箱（72 小時內有效，只能使用一次）。",
    )


class SetPasswordForm(PortalForm):
    password = PasswordField(
        "新密碼",
        validators=[DataRequired("請輸入新密碼"), Length(max=256)],
        description="至少 8 個字元；請避免常見密碼，可用一句好記的話。",
    )
    confirm = PasswordField(
        "再輸入一次新密碼",
        validators=[
            DataRequired("請再輸入一次新密碼"),
            EqualTo("password", "兩次輸入的密碼不一致"),
        ],
    )
