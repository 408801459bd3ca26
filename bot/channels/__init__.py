"""Rasa input channels of our own: `twilio_sms` (bot.channels.twilio_sms.TwilioSmsInput)."""
